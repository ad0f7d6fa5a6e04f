import { p50AndP99Panel, PanelSpec, ratePanel, ratesPanel, sumRate, SVC } from './panels';

/** Lag per partition: the max over metrics replicas (each exports the same value), never their sum. */
export const LAG_BY_PARTITION =
  'max by (group, topic, partition) (kafka_consumergroup_lag{group=~"$group"})';
/** A business gauge of the metrics service; max, so two replicas show one value. */
const kpi = (name: string) => `max(${name}{${SVC}})`;

export function overviewPanels(): PanelSpec[] {
  return [...health(), ...kpis(), ...businessBreakdowns(), ...flow(), ...resources()];
}

/** Is every service up. */
function health(): PanelSpec[] {
  return [
    {
      type: 'stat',
      title: 'Service up',
      description: 'Prometheus scrape health per service and instance (1 = up).',
      queries: [[`up{${SVC}}`, '{{job}} {{instance}}']],
      w: 24,
      h: 4,
      unit: 'none',
    },
  ];
}

/** The business figures of SPEC §8, one stat each. */
function kpis(): PanelSpec[] {
  return [
    {
      type: 'stat',
      title: 'Events per minute',
      description: 'Events in the last complete UTC minute (event time).',
      queries: [[kpi('clickstream_events_per_minute'), 'events/min']],
      w: 5,
      h: 5,
    },
    {
      type: 'stat',
      title: 'Active sessions',
      description: 'Open sessions.',
      queries: [[kpi('clickstream_active_sessions'), 'sessions']],
      w: 5,
      h: 5,
    },
    {
      type: 'stat',
      title: 'Unique users (5 min)',
      description: 'Unique users in the last complete 5 min window.',
      queries: [[kpi('clickstream_unique_users_5m'), 'users']],
      w: 5,
      h: 5,
    },
    {
      type: 'stat',
      title: 'Revenue (last hour)',
      description: 'Revenue of the 60 complete minutes before now, in currency units.',
      queries: [[kpi('clickstream_revenue_last_hour'), 'revenue']],
      w: 5,
      h: 5,
    },
    {
      type: 'stat',
      title: 'Conversion rate (last hour)',
      description: 'Purchases / views of the 60 complete minutes before now.',
      queries: [[kpi('clickstream_conversion_rate_last_hour'), 'conversion']],
      unit: 'percentunit',
      w: 4,
      h: 5,
    },
  ];
}

/** The funnel and the alerts of the last hour, bar by bar. */
function businessBreakdowns(): PanelSpec[] {
  return [
    {
      type: 'bargauge',
      title: 'Funnel (sessions started in the last hour)',
      description: 'Sessions that reached each stage; stage "none" counts all of them.',
      // Each stage counts the sessions of the next ones too: sorted by count, the bars are in funnel order.
      queries: [[`sort_desc(max by (stage) (clickstream_funnel_sessions{${SVC}}))`, '{{stage}}']],
      instant: true,
    },
    {
      type: 'bargauge',
      title: 'Alerts in the last hour by rule and severity',
      description:
        'Fraud and anomaly alerts detected in the last hour (every rule shown, 0 when quiet).',
      queries: [
        [
          `sort_desc(max by (rule, severity) (clickstream_alerts_last_hour{${SVC}}))`,
          '{{rule}} ({{severity}})',
        ],
      ],
      instant: true,
    },
  ];
}

/** Is traffic flowing and is anyone behind: ingest, alerts, lag, stale gauges. */
function flow(): PanelSpec[] {
  return [
    ratePanel(
      'Ingested events / s by outcome',
      'Events the ingest API accepted, rejected (to the DLQ) or could not take (503).',
      'ingest_events_total',
      'outcome',
    ),
    ratePanel(
      'Fraud alerts / s by rule',
      'Alerts raised by the fraud-detector (SPEC §7).',
      'fraud_alerts_total',
      'rule',
    ),
    {
      title: 'Consumer lag by group',
      description:
        'Records behind the log end: max over metrics replicas per partition, summed over partitions.',
      queries: [[`sum by (group) (${LAG_BY_PARTITION})`, '{{group}}']],
    },
    ratePanel(
      'Gauge refresh failures / s',
      'The metrics service could not refresh its gauges from Postgres or Kafka: the figures above are stale.',
      'metrics_gauge_refresh_failures_total',
      'source',
      { threshold: 0.001 },
    ),
  ];
}

/** CPU and memory of the five services. */
function resources(): PanelSpec[] {
  return [
    {
      title: 'CPU per service',
      description:
        "CPU seconds used per second, summed over a service's instances (the five services only).",
      queries: [[sumRate('process_cpu_seconds_total', 'job'), '{{job}}']],
      unit: 'percentunit',
    },
    {
      title: 'Resident memory per instance',
      description: 'Process RSS of every instance of the five services.',
      queries: [[`process_resident_memory_bytes{${SVC}}`, '{{job}} {{instance}}']],
      unit: 'bytes',
    },
  ];
}

export function ingestPanels(): PanelSpec[] {
  const requests = 'ingest_request_duration_seconds_count';
  return [
    {
      title: 'Requests / s by route and status',
      description: 'Every answered ingest request.',
      queries: [[sumRate(requests, 'route, status'), '{{route}} {{status}}']],
      unit: 'reqps',
    },
    ratePanel(
      'Events / s by outcome',
      'accepted: acknowledged by Kafka; rejected: invalid, sent to the DLQ; unavailable: answered 503.',
      'ingest_events_total',
      'outcome',
    ),
    p50AndP99Panel(
      'Request latency p50 / p99',
      'From body parsed to answer, per route.',
      `ingest_request_duration_seconds_bucket{${SVC}}`,
      'route',
    ),
    p50AndP99Panel(
      'Produce latency p50 / p99',
      'One coalesced Kafka transaction (send + commit), by outcome.',
      `ingest_produce_duration_seconds_bucket{${SVC}}`,
      'outcome',
    ),
    {
      title: 'Producer backlog',
      description:
        'Events waiting for or in a Kafka flush; at INGEST_MAX_BACKLOG_EVENTS requests get 503.',
      queries: [[`max by (instance) (ingest_backlog_events{${SVC}})`, '{{instance}}']],
    },
    {
      title: 'Rejected events / s',
      description: 'Invalid events, each sent to the events DLQ (0 when all is well).',
      queries: [[sumRate('ingest_events_total', 'instance', 'outcome="rejected"'), '{{instance}}']],
      unit: 'ops',
    },
    {
      title: 'Unavailable (503, 504) and commits in doubt / s',
      description:
        'Requests refused because Kafka was unavailable or the backlog was full (503), or whose commit Kafka left unanswered past INGEST_COMMIT_DEADLINE_MS (504); clients retry after Retry-After. Commit retries: commits in doubt, retried until Kafka answers. Aborts failed: the next producer aborts what they left.',
      queries: [
        [sumRate(requests, 'instance, status', 'status=~"503|504"'), '{{status}} {{instance}}'],
        [
          sumRate('ingest_events_total', 'instance, outcome', 'outcome=~"unavailable|unknown"'),
          'events {{outcome}} {{instance}}',
        ],
        // The counter exists at 0 from boot; `> 0` keeps this failure-only panel empty until a retry.
        [
          `${sumRate('ingest_commit_retries_total', 'instance')} > 0`,
          'commit retries {{instance}}',
        ],
        [
          `${sumRate('ingest_kafka_abort_failures_total', 'instance')} > 0`,
          'aborts failed {{instance}}',
        ],
      ],
      unit: 'reqps',
      threshold: 0.001,
    },
    {
      title: 'Client errors (4xx) / s',
      description:
        'Requests answered 4xx: every event invalid, an empty body, too many events or a bad key.',
      queries: [[sumRate(requests, 'route, status', 'status=~"4.."'), '{{route}} {{status}}']],
      unit: 'reqps',
    },
  ];
}

export function fraudPanels(): PanelSpec[] {
  return [
    ratesPanel('Alerts / s by rule and severity', 'Alerts raised over time (SPEC §7).', [
      ['fraud_alerts_total', 'rule, severity', '{{rule}} ({{severity}})'],
    ]),
    {
      type: 'bargauge',
      title: 'Alerts in the time range by rule',
      description: "Alerts raised by each rule in the dashboard's time range.",
      queries: [
        [`sort_desc(sum by (rule) (increase(fraud_alerts_total{${SVC}}[$__range])))`, '{{rule}}'],
      ],
      instant: true,
    },
    p50AndP99Panel(
      'Detection latency p50 / p99 by rule',
      'From the input that completed an alert entering the system to the alert; the p99 alert fires above 250 ms.',
      `fraud_detection_latency_seconds_bucket{${SVC}}`,
      'rule',
      { threshold: 0.25 },
    ),
    ratePanel(
      'Rule evaluations / s by rule',
      'Inputs (events, final minutes) each rule looked at: a rule at 0 sees nothing.',
      'fraud_rule_evaluations_total',
      'rule',
    ),
    {
      title: 'Rules revision by detector',
      description:
        'The clickstream.rules.v1 revision each fraud-detector applies (0: none). The lines meet within seconds of a change; one left behind judges with old settings.',
      queries: [[`max by (instance) (fraud_detector_rules_revision{${SVC}})`, '{{instance}}']],
      unit: 'none',
    },
    ratesPanel(
      'Rule changes / s: published and applied',
      'Changes the metrics API published to clickstream.rules.v1, and changes the detectors applied (each detector applies each change once).',
      [
        ['metrics_rule_records_published_total', '', 'published'],
        ['fraud_detector_rule_changes_total', 'rule', 'applied {{rule}}'],
      ],
    ),
    ratesPanel(
      'Rules failures / s',
      'Publishing a stored change failed (retried with backoff), the detectors could not read the rules topic, or a record on it was not a valid rule (skipped).',
      [
        ['metrics_rules_publish_failures_total', '', 'publish'],
        ['fraud_detector_rules_table_errors_total', 'stage', 'read: {{stage}}'],
        ['fraud_detector_rule_records_rejected_total', '', 'rejected records'],
      ],
      { threshold: 0.001 },
    ),
  ];
}
