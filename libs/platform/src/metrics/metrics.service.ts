import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, CounterConfiguration, Gauge, GaugeConfiguration, Histogram, HistogramConfiguration, Registry } from 'prom-client';
import { metricPrefix, SERVICE_INFO, ServiceInfo } from '../service-info';

/**
 * One registry per app (not prom-client's global), so tests can boot several apps in one process.
 * Default process metrics keep their standard names; a `service` label tells the apps apart.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly prefix: string;

  constructor(@Inject(SERVICE_INFO) service: ServiceInfo) {
    this.prefix = metricPrefix(service.name);
    this.registry.setDefaultLabels({ service: service.name });
    collectDefaultMetrics({ register: this.registry });
  }

  counter<T extends string>(config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    return this.existing(config.name) ?? new Counter({ ...config, registers: [this.registry] });
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
