import { Logger, OnModuleInit } from '@nestjs/common';
import { MetricsService } from '@clickstream/platform';
import { MetricsConfig } from '../metrics.config';
/**
 * A value loaded at most once per `ttlMs`, however often it is asked for, with one load in flight
 * at a time: Prometheus scrapes (several gauges, several scrapers) never multiply the queries. A
 * failed load keeps the last good value.
 */
export class Refresher<T> {
  private last?: { at: number; value: T };
  private inflight?: Promise<T | undefined>;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T | undefined> {
    if (this.last && this.now() - this.last.at < this.ttlMs)
      return Promise.resolve(this.last.value);
    this.inflight ??= this.load()
      .then((value) => {
        this.last = { at: this.now(), value };
        return value;
      })
      .catch((err: unknown) => {
        this.onError(err);
        return this.last?.value;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}

/**
 * A Refresher for gauges whose source may fail: each failed load is counted in
 * metrics_gauge_refresh_failures_total{source} and logged with `message`.
 */
export function gaugeRefresher<T>(options: {
  metrics: MetricsService;
  logger: Pick<Logger, 'warn'>;
  source: 'postgres' | 'kafka';
  message: string;
  load: () => Promise<T>;
  ttlMs: number;
}): Refresher<T> {
  const failures = options.metrics.counter({
    name: 'metrics_gauge_refresh_failures_total',
    help: 'Failed gauge refreshes, by source.',
    labelNames: ['source'],
  });
  return new Refresher(options.load, options.ttlMs, (err) => {
    failures.inc({ source: options.source });
    options.logger.warn({
      msg: options.message,
      err: err instanceof Error ? err.message : String(err),
    });
  });
}

/** A collect() that sets an unlabelled gauge from the snapshot (unchanged when none could be loaded). */
export function valueFrom<S>(snapshot: Refresher<S>, pick: (s: S) => number) {
  return async function (this: { set(value: number): void }) {
    const s = await snapshot.get();
    if (s) this.set(pick(s));
  };
}

/** One sample of a labelled gauge: its labels and value. */
export type Sample = [labels: Record<string, string>, value: number];

/**
 * A collect() that sets a labelled gauge to the samples of the snapshot. It resets the gauge first,
 * so labels that went away (a partition, a group) do not linger with their last value; it leaves
 * the gauge unchanged when no snapshot could be loaded.
 */
export function samplesFrom<S>(snapshot: Refresher<S>, samples: (s: S) => Iterable<Sample>) {
  return async function (this: {
    reset(): void;
    set(labels: Record<string, string>, value: number): void;
  }) {
    const s = await snapshot.get();
    if (!s) return;
    this.reset();
    for (const [labels, value] of samples(s)) this.set(labels, value);
  };
}

/**
 * Gauges read on scrape from one snapshot, loaded at most once per METRICS_GAUGE_REFRESH_MS from
 * `source`; a failed load is counted and logged with `message` (gaugeRefresher). Subclasses load
 * the snapshot and declare the gauges.
 */
export abstract class SnapshotGauges<S> implements OnModuleInit {
  protected readonly snapshot: Refresher<S>;

  constructor(
    protected readonly metrics: MetricsService,
    config: MetricsConfig,
    source: 'postgres' | 'kafka',
    message: string,
  ) {
    this.snapshot = gaugeRefresher({
      metrics,
      logger: new Logger(new.target.name),
      source,
      message,
      load: () => this.load(),
      ttlMs: config.gaugeRefreshMs,
    });
  }

  abstract onModuleInit(): void;

  protected abstract load(): Promise<S>;
}
