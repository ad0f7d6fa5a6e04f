import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Per processor and partition (SPEC §4, issue: observability). Names follow Prometheus conventions. */
export class StreamsMetrics {
  readonly processed: Counter<'processor' | 'topic' | 'partition'>;
  readonly late: Counter<'processor' | 'topic' | 'partition'>;
  readonly deadLettered: Counter<'processor' | 'topic' | 'partition'>;
  readonly duplicates: Counter<'processor' | 'topic' | 'partition'>;
  readonly watermarkLag: Gauge<'processor' | 'topic' | 'partition'>;
  readonly batchDuration: Histogram<'processor' | 'topic'>;
  readonly commitDuration: Histogram<'processor'>;
  readonly taskFailures: Counter<'processor' | 'reason'>;
  readonly taskRestarts: Counter<'processor'>;
  readonly consumerRestarts: Counter<'processor'>;
  readonly partitionStalled: Gauge<'processor' | 'topic' | 'partition'>;

  constructor(registry: Registry, prefix: string) {
    const get = <M>(name: string, make: () => M): M =>
      (registry.getSingleMetric(name) as M | undefined) ?? make();
    const labels = ['processor', 'topic', 'partition'] as const;
    this.processed = get(
      `${prefix}_events_processed_total`,
      () =>
        new Counter({
          name: `${prefix}_events_processed_total`,
          help: 'Records processed (not late, not dead-lettered).',
          labelNames: labels,
          registers: [registry],
        }),
    );
    this.late = get(
      `${prefix}_late_events_total`,
      () =>
        new Counter({
          name: `${prefix}_late_events_total`,
          help: 'Records older than the partition watermark on arrival.',
          labelNames: labels,
          registers: [registry],
        }),
    );
    this.deadLettered = get(
      `${prefix}_dead_letter_events_total`,
      () =>
        new Counter({
          name: `${prefix}_dead_letter_events_total`,
          help: 'Poison records sent to the dead-letter topic.',
          labelNames: labels,
          registers: [registry],
        }),
    );
    this.duplicates = get(
      `${prefix}_duplicate_events_total`,
      () =>
        new Counter({
          name: `${prefix}_duplicate_events_total`,
          help: 'Records dropped as repeats of an id seen before: they change no result.',
          labelNames: labels,
          registers: [registry],
        }),
    );
    this.watermarkLag = get(
      `${prefix}_watermark_lag_seconds`,
      () =>
        new Gauge({
          name: `${prefix}_watermark_lag_seconds`,
          help: 'Wall clock minus the partition watermark.',
          labelNames: labels,
          registers: [registry],
        }),
    );
    this.batchDuration = get(
      `${prefix}_batch_duration_seconds`,
      () =>
        new Histogram({
          name: `${prefix}_batch_duration_seconds`,
          help: 'Time to process and commit one consumed batch.',
          labelNames: ['processor', 'topic'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
          registers: [registry],
        }),
    );
    this.commitDuration = get(
      `${prefix}_commit_duration_seconds`,
      () =>
        new Histogram({
          name: `${prefix}_commit_duration_seconds`,
          help: 'Postgres commit of state, results, outbox and offsets.',
          labelNames: ['processor'],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
          registers: [registry],
        }),
    );
    this.taskFailures = get(
      `${prefix}_task_failures_total`,
      () =>
        new Counter({
          name: `${prefix}_task_failures_total`,
          help: 'Task failures by reason (<stage>_<kind>, e.g. commit_data, commit_transient, publish_data, fenced).',
          labelNames: ['processor', 'reason'],
          registers: [registry],
        }),
    );
    this.taskRestarts = get(
      `${prefix}_task_restarts_total`,
      () =>
        new Counter({
          name: `${prefix}_task_restarts_total`,
          help: 'Tasks rebuilt from Postgres after a failure.',
          labelNames: ['processor'],
          registers: [registry],
        }),
    );
    this.consumerRestarts = get(
      `${prefix}_consumer_restarts_total`,
      () =>
        new Counter({
          name: `${prefix}_consumer_restarts_total`,
          help: 'Kafka consumer crashes that were restarted.',
          labelNames: ['processor'],
          registers: [registry],
        }),
    );
    this.partitionStalled = get(
      `${prefix}_partition_stalled`,
      () =>
        new Gauge({
          name: `${prefix}_partition_stalled`,
          help: '1 when the partition has lag but its committed offset has not moved for the stall timeout.',
          labelNames: labels,
          registers: [registry],
        }),
    );
  }
}
