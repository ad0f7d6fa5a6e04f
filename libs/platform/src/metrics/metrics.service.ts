import { Inject, Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  LabelValues,
  Registry,
} from 'prom-client';
import { metricPrefix, SERVICE_INFO, ServiceInfo } from '../service-info';

/**
 * One registry per app (not prom-client's global), so tests can boot several apps in one process.
 * Default process metrics keep their standard names; a `service` label tells the apps apart.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly prefix: string;
  private readonly hotCounters = new Map<string, (value: string, by?: number) => void>();

  constructor(@Inject(SERVICE_INFO) service: ServiceInfo) {
    this.prefix = metricPrefix(service.name);
    this.registry.setDefaultLabels({ service: service.name });
    collectDefaultMetrics({ register: this.registry });
  }

  counter<T extends string>(config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    return this.existing(config.name) ?? new Counter({ ...config, registers: [this.registry] });
  }

  /**
   * A counter with one label for hot paths (once per event): increments are summed in a Map and
   * moved into the prom-client counter when it is read (a scrape or get()). prom-client's inc()
   * builds and validates a label hash on every call (its setValue alone was 1.5 % of the
   * fraud-detector's profile, called per event and rule). Label values must be few (rule names,
   * window sizes): the Map holds one entry per value. The same name gives the same function.
   */
  hotCounter<T extends string>(
    config: Omit<CounterConfiguration<T>, 'registers' | 'collect' | 'labelNames'>,
    label: T,
  ): (value: string, by?: number) => void {
    const known = this.hotCounters.get(config.name);
    if (known) return known;
    const pending = new Map<string, number>();
    new Counter<T>({
      ...config,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        for (const [value, by] of pending) this.inc({ [label]: value } as LabelValues<T>, by);
        pending.clear();
      },
    });
    const inc = (value: string, by = 1) => void pending.set(value, (pending.get(value) ?? 0) + by);
    this.hotCounters.set(config.name, inc);
    return inc;
  }

  gauge<T extends string>(config: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
    return this.existing(config.name) ?? new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<T extends string>(config: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
    return this.existing(config.name) ?? new Histogram({ ...config, registers: [this.registry] });
  }

  private existing<M>(name: string): M | undefined {
    return this.registry.getSingleMetric(name) as M | undefined;
  }
}
