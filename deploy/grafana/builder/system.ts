import { LAG_BY_PARTITION } from './business';
import { dashboard, Dashboard } from './dashboard';
import { PanelSpec, quantile, RATE, streams, SVC } from './panels';

const perProcessorRate = (suffix: string) => `sum by (processor) (rate(${streams(suffix)}${RATE}))`;
const perProcessorRange = (suffix: string) =>
  `sum by (processor) (increase(${streams(suffix)}[$__range]))`;

export function pipeline(): Dashboard {
  return dashboard({
    uid: 'clickstream-pipeline',
    title: 'Clickstream pipeline health',
    description: 'Are the stream processors keeping up, committing, and processing every record?',
    variables: ['datasource', 'service', 'instance', 'group'],
    // The groups' order is the panels' order (and so their ids and grid positions).
    panels: [
      ...throughputPanels(),
      ...lagPanels(),
      ...recordOutcomePanels(),
      ...durationPanels(),
      ...failurePanels(),
      ...processorPanels(),
    ],
  });
}

/** Records in and out of each processor. */
function throughputPanels(): PanelSpec[] {
  return [
    {
      title: 'Records in / s by processor',
      description:
        'Records consumed and processed (late and dead-lettered ones have their own panels).',
      queries: [[perProcessorRate('events_processed_total'), '{{processor}}']],
      unit: 'ops',
    },
    {
      title: 'Records out / s by processor',
      description:
        'What each processor publishes: sessions closed, final windows per size, fraud alerts.',
      queries: [
        [
          `sum by (job) (rate(sessionizer_sessions_closed_total{${SVC}}${RATE}))`,
          'sessionizer: sessions closed',
        ],
        [
          `sum by (window_size) (rate(aggregator_windows_final_total{${SVC}}${RATE}))`,
          'aggregator: final {{window_size}} windows',
        ],
        [`sum by (job) (rate(fraud_alerts_total{${SVC}}${RATE}))`, 'fraud-detector: alerts'],
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
    {
      title: 'Late events / s by processor',
      description:
        'Records older than the partition watermark on arrival, routed to the late topic.',
      queries: [[perProcessorRate('late_events_total'), '{{processor}}']],
      unit: 'ops',
    },
    {
      title: 'Duplicate events / s by processor',
      description:
        'Retried events dropped by event_id (the same content seen before): they change no result.',
      queries: [[perProcessorRate('duplicate_events_total'), '{{processor}}']],
      unit: 'ops',
    },
    {
      title: 'Dead-lettered records / s by processor',
      description:
        'Poison records (undecodable, or refused by Postgres) sent to the dead-letter topic.',
      queries: [[perProcessorRate('dead_letter_events_total'), '{{processor}}']],
      unit: 'ops',
      threshold: 0.001,
    },
  ];
}

/** Time per batch and per commit. */
function durationPanels(): PanelSpec[] {
  return [
    {
      title: 'Batch duration p50 / p99',
      description: 'Time to process one consumed batch, per processor.',
      queries: [
        [quantile(0.5, streams('batch_duration_seconds_bucket'), 'processor'), 'p50 {{processor}}'],
        [
          quantile(0.99, streams('batch_duration_seconds_bucket'), 'processor'),
          'p99 {{processor}}',
        ],
      ],
      unit: 's',
    },
    {
      title: 'Commit duration p50 / p99',
      description: 'Postgres commit of state, results, outbox and offsets, per processor.',
      queries: [
        [
          quantile(0.5, streams('commit_duration_seconds_bucket'), 'processor'),
          'p50 {{processor}}',
        ],
        [
          quantile(0.99, streams('commit_duration_seconds_bucket'), 'processor'),
          'p99 {{processor}}',
        ],
      ],
      unit: 's',
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
    {
      title: 'Events folded / s by window size',
      description: 'Aggregator: events added to windows of each size.',
      queries: [
        [`sum by (window_size) (rate(aggregator_events_total{${SVC}}${RATE}))`, '{{window_size}}'],
      ],
      unit: 'ops',
    },
    {
      title: 'Open sessions (sessionizer)',
      description: 'Sessions with status open in Postgres, as the sessionizer counts them.',
      queries: [[`max(sessionizer_active_sessions{${SVC}})`, 'open sessions']],
    },
  ];
}

export function runtime(): Dashboard {
  const each = '{{job}} {{instance}}';
  return dashboard({
    uid: 'clickstream-runtime',
    title: 'Clickstream runtime',
    description: 'How much CPU and memory does each service use, and is its event loop healthy?',
    variables: ['datasource', 'service', 'instance'],
    panels: [
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
      {
        title: 'GC time / s by kind',
        description: 'Share of wall time spent in garbage collection.',
        queries: [
          [
            `sum by (job, kind) (rate(nodejs_gc_duration_seconds_sum{${SVC}}${RATE}))`,
            '{{job}} {{kind}}',
          ],
        ],
        unit: 'percentunit',
      },
      {
        title: 'GC runs / s by kind',
        description: 'Garbage collections per second.',
        queries: [
          [
            `sum by (job, kind) (rate(nodejs_gc_duration_seconds_count{${SVC}}${RATE}))`,
            '{{job}} {{kind}}',
          ],
        ],
        unit: 'ops',
      },
      {
        title: 'Event-loop lag p50 / p99 / max',
        description:
          'Delay of the event loop, from perf_hooks; above ~100 ms requests and heartbeats suffer.',
        queries: [
          [`nodejs_eventloop_lag_p50_seconds{${SVC}}`, 'p50 ' + each],
          [`nodejs_eventloop_lag_p99_seconds{${SVC}}`, 'p99 ' + each],
          [`nodejs_eventloop_lag_max_seconds{${SVC}}`, 'max ' + each],
        ],
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
        queries: [
          [`nodejs_active_handles_total{${SVC}}`, 'handles ' + each],
          [`nodejs_active_requests_total{${SVC}}`, 'requests ' + each],
          [`nodejs_active_resources_total{${SVC}}`, 'resources ' + each],
        ],
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
    ],
  });
}
