import { Logger } from '@nestjs/common';
import { MetricsService } from '@clickstream/platform';
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
