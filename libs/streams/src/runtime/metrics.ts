import { Counter, Gauge, Histogram, HistogramConfiguration, Metric, Registry } from 'prom-client';

const PARTITION = ['processor', 'topic', 'partition'] as const;

/** The labels of a task's per-partition series (PARTITION), in one place for every writer of them. */
export function partitionLabels(
  processor: string,
  id: { topic: string; partition: number },
): Record<(typeof PARTITION)[number], string> {
  return { processor, topic: id.topic, partition: String(id.partition) };
}

/** One metric of the runtime: its name after `<prefix>_`, help, labels and a histogram's buckets. */
interface MetricSpec {
  type: 'counter' | 'gauge' | 'histogram';
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets?: readonly number[];
}

/**
 * Per processor and partition (SPEC §4, issue: observability), one field of StreamsMetrics each.
 * Names follow Prometheus conventions.
 */
const STREAMS_METRICS = {
  processed: {
    type: 'counter',
    name: 'events_processed_total',
    help: 'Records processed (not late, not dead-lettered).',
    labelNames: PARTITION,
  },
  late: {
    type: 'counter',
    name: 'late_events_total',
    help: 'Records older than the partition watermark on arrival.',
    labelNames: PARTITION,
  },
  deadLettered: {
    type: 'counter',
    name: 'dead_letter_events_total',
    help: 'Poison records sent to the dead-letter topic.',
    labelNames: PARTITION,
  },
  duplicates: {
    type: 'counter',
    name: 'duplicate_events_total',
    help: 'Records dropped as repeats of an id seen before: they change no result.',
    labelNames: PARTITION,
  },
  dedupeLookupsSpared: {
    type: 'counter',
    name: 'dedupe_lookups_spared_total',
    help: "Ids the dedupe's filter ruled out: no Postgres lookup was needed.",
    labelNames: PARTITION,
  },
  dedupeFilterLoads: {
    type: 'counter',
    name: 'dedupe_filter_loads_total',
    help: "Loads of a task's dedupe filter from its stored ids, by result (loaded, failed: retried).",
    labelNames: ['processor', 'result'],
  },
  dedupeFilterSaturated: {
    type: 'counter',
    name: 'dedupe_filter_saturated_total',
    help: 'Dedupe filters over their memory limit: the task looks every id up until it is rebuilt.',
    labelNames: PARTITION,
  },
  watermarkLag: {
    type: 'gauge',
    name: 'watermark_lag_seconds',
    help: 'Wall clock minus the partition watermark.',
    labelNames: PARTITION,
  },
  batchDuration: {
    type: 'histogram',
    name: 'batch_duration_seconds',
    help: 'Time to process and commit one consumed batch.',
    labelNames: ['processor', 'topic'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  },
  commitDuration: {
    type: 'histogram',
    name: 'commit_duration_seconds',
    help: 'Postgres commit of state, results, outbox and offsets.',
    labelNames: ['processor'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  },
  taskRestoreDuration: {
    type: 'histogram',
    name: 'task_restore_duration_seconds',
    help: 'Time to open a task: claim it, read its state, replay its state log, fence and finish its outbox.',
    labelNames: ['processor'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  taskFailures: {
    type: 'counter',
    name: 'task_failures_total',
    help: 'Task failures by reason (<stage>_<kind>, e.g. commit_data, commit_transient, publish_data, fenced).',
    labelNames: ['processor', 'reason'],
  },
  taskRestarts: {
    type: 'counter',
    name: 'task_restarts_total',
    help: 'Tasks rebuilt from Postgres after a failure.',
    labelNames: ['processor'],
  },
  consumerRestarts: {
    type: 'counter',
    name: 'consumer_restarts_total',
    help: 'Kafka consumer crashes that were restarted.',
    labelNames: ['processor'],
  },
  instanceFenced: {
    type: 'counter',
    name: 'instance_fenced_total',
    help: "Times another member took this instance's group instance id: the processor stopped for good.",
    labelNames: ['processor'],
  },
  offsetHintFailures: {
    type: 'counter',
    name: 'offset_hint_failures_total',
    help: 'Group offset hints for lag tools that Kafka did not take (the offsets in Postgres are the truth).',
    labelNames: ['processor'],
  },
  stateLogWaitingKeys: {
    type: 'gauge',
    name: 'state_log_waiting_keys',
    help: 'State keys changed in the log (stream_state_log) and not yet written to stream_state.',
    labelNames: PARTITION,
  },
  partitionStalled: {
    type: 'gauge',
    name: 'partition_stalled',
    help: '1 when the partition has lag but its committed offset has not moved for the stall timeout.',
    labelNames: PARTITION,
  },
} as const satisfies Record<string, MetricSpec>;

type Specs = typeof STREAMS_METRICS;
/** The prom-client metric a spec makes, typed by its labels. */
type MetricOf<S extends MetricSpec> = {
  counter: Counter<S['labelNames'][number]>;
  gauge: Gauge<S['labelNames'][number]>;
  histogram: Histogram<S['labelNames'][number]>;
}[S['type']];

/** The runtime's metrics, e.g. `processed: Counter<'processor' | 'topic' | 'partition'>`. */
export type StreamsMetrics = { readonly [F in keyof Specs]: MetricOf<Specs[F]> };

/** What the three constructors take here (buckets only for a histogram). */
type Config = Pick<
  HistogramConfiguration<string>,
  'name' | 'help' | 'labelNames' | 'buckets' | 'registers'
>;
const MAKE: Record<MetricSpec['type'], (config: Config) => Metric> = {
  counter: (config) => new Counter(config),
  gauge: (config) => new Gauge(config),
  histogram: (config) => new Histogram(config),
};

/**
 * The runtime's metrics named `<prefix>_…` on `registry`. A metric already registered under the
 * name (another app of the same process on the same registry) is shared, not declared twice.
 */
export function streamsMetrics(registry: Registry, prefix: string): StreamsMetrics {
  const fields = Object.entries(STREAMS_METRICS).map(([field, spec]: [string, MetricSpec]) => {
    const name = `${prefix}_${spec.name}`;
    const metric =
      registry.getSingleMetric(name) ??
      MAKE[spec.type]({
        name,
        help: spec.help,
        labelNames: spec.labelNames,
        ...(spec.buckets ? { buckets: [...spec.buckets] } : {}),
        registers: [registry],
      });
    return [field, metric];
  });
  return Object.fromEntries(fields) as StreamsMetrics;
}
