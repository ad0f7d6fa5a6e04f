import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Per processor and partition (SPEC §4, issue: observability). Names follow Prometheus conventions. */
export class StreamsMetrics {
  readonly processed: Counter<'processor' | 'topic' | 'partition'>;
  readonly late: Counter<'processor' | 'topic' | 'partition'>;
  readonly deadLettered: Counter<'processor' | 'topic' | 'partition'>;
  readonly watermarkLag: Gauge<'processor' | 'topic' | 'partition'>;
  readonly batchDuration: Histogram<'processor' | 'topic'>;
  readonly commitDuration: Histogram<'processor'>;

  constructor(registry: Registry, prefix: string) {
    const get = <M>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
    const labels = ['processor', 'topic', 'partition'] as const;
    this.processed = get(`${prefix}_events_processed_total`, () =>
      new Counter({ name: `${prefix}_events_processed_total`, help: 'Records processed (not late, not dead-lettered).', labelNames: labels, registers: [registry] }),
    );
    this.late = get(`${prefix}_late_events_total`, () =>
      new Counter({ name: `${prefix}_late_events_total`, help: 'Records older than the partition watermark on arrival.', labelNames: labels, registers: [registry] }),
    );
    this.deadLettered = get(`${prefix}_dead_letter_events_total`, () =>
      new Counter({ name: `${prefix}_dead_letter_events_total`, help: 'Poison records sent to the dead-letter topic.', labelNames: labels, registers: [registry] }),
    );
    this.watermarkLag = get(`${prefix}_watermark_lag_seconds`, () =>
      new Gauge({ name: `${prefix}_watermark_lag_seconds`, help: 'Wall clock minus the partition watermark.', labelNames: labels, registers: [registry] }),
    );
    this.batchDuration = get(`${prefix}_batch_duration_seconds`, () =>
      new Histogram({
        name: `${prefix}_batch_duration_seconds`,
        help: 'Time to process and commit one consumed batch.',
        labelNames: ['processor', 'topic'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
    );
    this.commitDuration = get(`${prefix}_commit_duration_seconds`, () =>
      new Histogram({
        name: `${prefix}_commit_duration_seconds`,
        help: 'Postgres commit of state, results, outbox and offsets.',
        labelNames: ['processor'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers: [registry],
      }),
    );
  }
}
