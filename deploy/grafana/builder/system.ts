import { LAG_BY_PARTITION } from './business';
import {
  p50AndP99Panel,
  PanelSpec,
  RATE,
  ratePanel,
  ratesPanel,
  streams,
  sumRate,
  SVC,
} from './panels';

const perProcessorRate = (suffix: string) => `sum by (processor) (rate(${streams(suffix)}${RATE}))`;
const perProcessorRange = (suffix: string) =>
  `sum by (processor) (increase(${streams(suffix)}[$__range]))`;
/** A time series of a libs/streams counter's rate, a line per processor. */
const processorRatePanel = (
  title: string,
  description: string,
  suffix: string,
  more: Partial<PanelSpec> = {},
): PanelSpec => ({
  title,
  description,
  queries: [[perProcessorRate(suffix), '{{processor}}']],
  unit: 'ops',
  ...more,
});

/** The groups' order is the panels' order (and so their ids and grid positions). */
export function pipelinePanels(): PanelSpec[] {
  return [
    ...throughputPanels(),
    ...lagPanels(),
    ...recordOutcomePanels(),
    ...durationPanels(),
    ...failurePanels(),
    ...processorPanels(),
  ];
}

/** Records in and out of each processor. */
function throughputPanels(): PanelSpec[] {
  return [
    processorRatePanel(
      'Records in / s by processor',
      'Records consumed and processed (late and dead-lettered ones have their own panels).',
      'events_processed_total',
    ),
    {
      title: 'Records out / s by processor',
      description:
        'What each processor publishes: sessions closed, final windows per size, fraud alerts.',
      queries: [
        [sumRate('sessionizer_sessions_closed_total', 'job'), 'sessionizer: sessions closed'],
        [
          sumRate('aggregator_windows_final_total', 'window_size'),
          'aggregator: final {{window_size}} windows',
        ],
        [sumRate('fraud_alerts_total', 'job'), 'fraud-detector: alerts'],
      ],
      unit: 'ops',
    },
  ];
}

/** How far behind the groups and processors are: offsets, watermarks, windows. */
function lagPanels(): PanelSpec[] {
  return [
    {
      type: 'table',
      title: 'Consumer lag by partition (worst first)',
      description:
        'Records behind the log end per group, topic and partition; max over metrics replicas, never summed.',
      queries: [[`sort_desc(${LAG_BY_PARTITION})`, '']],
      instant: true,
      sortBy: 'Value',
      w: 24,
    },
    {
      title: 'Consumer lag by group',
      description: "Per-partition lag (max over replicas) summed over the group's partitions.",
      queries: [[`sum by (group) (${LAG_BY_PARTITION})`, '{{group}}']],
    },
    {
      title: 'Log end vs committed offsets / s',
      description:
        'Records appended to the topics the selected groups read, and records those groups committed.',
      queries: [
        [
          `sum by (topic) (max by (topic, partition) (rate(kafka_topic_partition_current_offset${RATE})) and on (topic) group by (topic) (${LAG_BY_PARTITION}))`,
          'appended {{topic}}',
        ],
        [
          'sum by (group) (max by (group, topic, partition) (rate(kafka_consumergroup_current_offset{group=~"$group"}[$__rate_interval])))',
          'committed {{group}}',
        ],
      ],
      unit: 'ops',
    },
    {
      title: 'Watermark lag by processor',
      description:
        'Wall clock minus the partition watermark (worst partition); grows when input stops or lags.',
      queries: [[`max by (processor) (${streams('watermark_lag_seconds')})`, '{{processor}}']],
      unit: 's',
    },
    {
      title: 'Window lag by window size',
      description: "Wall clock minus the end of the aggregator's last final window.",
      queries: [
        [`max by (window_size) (aggregator_window_lag_seconds{${SVC}})`, '{{window_size}}'],
      ],
      unit: 's',
    },
  ];
}

/** Records that were not processed normally: late, duplicate, dead-lettered. */
function recordOutcomePanels(): PanelSpec[] {
  return [
    processorRatePanel(
      'Late events / s by processor',
      'Records older than the partition watermark on arrival, routed to the late topic.',
      'late_events_total',
    ),
    processorRatePanel(
      'Duplicate events / s by processor',
      'Retried events dropped by event_id (the same content seen before): they change no result.',
      'duplicate_events_total',
    ),
    processorRatePanel(
      'Dead-lettered records / s by processor',
      'Poison records (undecodable, or refused by Postgres) sent to the dead-letter topic.',
      'dead_letter_events_total',
      { threshold: 0.001 },
    ),
  ];
}

/** Time per batch and per commit. */
function durationPanels(): PanelSpec[] {
  return [
    p50AndP99Panel(
      'Batch duration p50 / p99',
      'Time to process one consumed batch, per processor.',
      streams('batch_duration_seconds_bucket'),
      'processor',
    ),
    p50AndP99Panel(
      'Commit duration p50 / p99',
      'Postgres commit of state, results, outbox and offsets, per processor.',
      streams('commit_duration_seconds_bucket'),
      'processor',
    ),
    {
      // Restores are rare (startup, rebalance, rebuild), so a rate-based quantile would mostly be
      // empty: the mean since each process started stays readable.
      title: 'Task restore duration by processor (mean since start)',
      description:
        'Time to open a task (startup, rebalance, rebuild after a failure): claim, read stream_state, replay stream_state_log, fence and finish the outbox. The "task restored" log line has each one.',
      queries: [
        [
          `sum by (processor) (${streams('task_restore_duration_seconds_sum')}) / sum by (processor) (${streams('task_restore_duration_seconds_count')})`,
          '{{processor}}',
        ],
      ],
      unit: 's',
    },
    {
      title: 'State keys waiting in the log by processor',
      description:
        'Changed state keys held in stream_state_log until STREAMS_STATE_FLUSH_INTERVAL_MS has passed, then written to stream_state; a restore replays them. Follows the rate of distinct keys changed per interval.',
      queries: [[`sum by (processor) (${streams('state_log_waiting_keys')})`, '{{processor}}']],
      unit: 'short',
    },
  ];
}

/** Task failures, restarts and stalled partitions. */
function failurePanels(): PanelSpec[] {
  return [
    {
      type: 'bargauge',
      title: 'Task failures and restarts in the time range',
      description:
        'Task failures by reason, tasks rebuilt from Postgres, and Kafka consumers restarted after a crash.',
      queries: [
        [
          `sum by (processor, reason) (increase(${streams('task_failures_total')}[$__range]))`,
          'failed {{processor}} {{reason}}',
        ],
        [perProcessorRange('task_restarts_total'), 'rebuilt {{processor}}'],
        [perProcessorRange('consumer_restarts_total'), 'consumer restarted {{processor}}'],
      ],
      instant: true,
    },
    {
      title: 'Stalled partitions by processor',
      description:
        'Partitions with lag whose committed offset has not moved for STREAMS_STALL_TIMEOUT_MS.',
      queries: [
        [
          `sum by (processor) (max by (processor, topic, partition) (${streams('partition_stalled')}))`,
          '{{processor}}',
        ],
      ],
      threshold: 1,
    },
  ];
}

/** One processor's own figures: the aggregator's folds, the sessionizer's open sessions. */
function processorPanels(): PanelSpec[] {
  return [
    ratePanel(
      'Events folded / s by window size',
      'Aggregator: events added to windows of each size.',
      'aggregator_events_total',
      'window_size',
    ),
    {
      title: 'Open sessions (sessionizer)',
      description: 'Sessions with status open in Postgres, as the sessionizer counts them.',
      queries: [[`max(sessionizer_active_sessions{${SVC}})`, 'open sessions']],
    },
  ];
}

/** Legend of a line per process. */
const each = '{{job}} {{instance}}';
/** A line per process for each of `whats`: the gauge `metric(what)`, the legend `<what> {{job}} {{instance}}`. */
const eachOf = (whats: string[], metric: (what: string) => string): PanelSpec['queries'] =>
  whats.map((what) => [`${metric(what)}{${SVC}}`, `${what} ${each}`]);

export function runtimePanels(): PanelSpec[] {
  return [...processPanels(), ...nodejsPanels()];
}

/** Each process's uptime, CPU and memory. */
function processPanels(): PanelSpec[] {
  return [
    {
      type: 'stat',
      title: 'Uptime',
      description: 'Time since each process started; a reset is a restart.',
      queries: [[`time() - process_start_time_seconds{${SVC}}`, each]],
      unit: 's',
      w: 24,
      h: 4,
    },
    {
      title: 'CPU',
      description: 'CPU seconds per second (1 = one core).',
      queries: [[`rate(process_cpu_seconds_total{${SVC}}${RATE})`, each]],
      unit: 'percentunit',
    },
    {
      title: 'Resident memory',
      description: 'Process RSS: what a container memory limit counts.',
      queries: [[`process_resident_memory_bytes{${SVC}}`, each]],
      unit: 'bytes',
    },
    {
      title: 'V8 heap',
      description: 'Heap used and allocated, and memory outside the heap (buffers).',
      queries: [
        [`nodejs_heap_size_used_bytes{${SVC}}`, 'used ' + each],
        [`nodejs_heap_size_total_bytes{${SVC}}`, 'total ' + each],
        [`nodejs_external_memory_bytes{${SVC}}`, 'external ' + each],
      ],
      unit: 'bytes',
    },
    {
      title: 'Old-space heap used',
      description: 'Long-lived objects: steady growth here is a leak.',
      queries: [[`nodejs_heap_space_size_used_bytes{${SVC}, space="old"}`, each]],
      unit: 'bytes',
    },
  ];
}

/** The Node.js runtime of each process: garbage collection, event loop, what it holds open, version. */
function nodejsPanels(): PanelSpec[] {
  return [
    ratesPanel(
      'GC time / s by kind',
      'Share of wall time spent in garbage collection.',
      [['nodejs_gc_duration_seconds_sum', 'job, kind', '{{job}} {{kind}}']],
      { unit: 'percentunit' },
    ),
    ratesPanel('GC runs / s by kind', 'Garbage collections per second.', [
      ['nodejs_gc_duration_seconds_count', 'job, kind', '{{job}} {{kind}}'],
    ]),
    {
      title: 'Event-loop lag p50 / p99 / max',
      description:
        'Delay of the event loop, from perf_hooks; above ~100 ms requests and heartbeats suffer.',
      queries: eachOf(['p50', 'p99', 'max'], (q) => `nodejs_eventloop_lag_${q}_seconds`),
      unit: 's',
      threshold: 0.1,
    },
    {
      title: 'Open file descriptors (share of the limit)',
      description: 'Sockets and files open, as a share of the process limit.',
      queries: [[`process_open_fds{${SVC}} / process_max_fds{${SVC}}`, each]],
      unit: 'percentunit',
    },
    {
      title: 'Active handles, requests and resources',
      description:
        'libuv handles (sockets, timers), requests and resources keeping the process alive.',
      queries: eachOf(
        ['handles', 'requests', 'resources'],
        (what) => `nodejs_active_${what}_total`,
      ),
    },
    {
      type: 'table',
      title: 'Node.js version per instance',
      description: 'The runtime each instance runs.',
      queries: [[`max by (job, instance, version) (nodejs_version_info{${SVC}})`, '']],
      instant: true,
      w: 24,
      h: 6,
    },
  ];
}
