import { dashboard, Dashboard } from './dashboard';
import { PanelSpec, quantile, RATE, SVC } from './panels';

/** Lag per partition: the max over metrics replicas (each exports the same value), never their sum. */
export const LAG_BY_PARTITION =
  'max by (group, topic, partition) (kafka_consumergroup_lag{group=~"$group"})';
/** A business gauge of the metrics service; max, so two replicas show one value. */
const kpi = (name: string) => `max(${name}{${SVC}})`;

export function overview(): Dashboard {
  return dashboard({
    uid: 'clickstream-overview',
    title: 'Clickstream overview',
    description:
      'Is it up, is traffic flowing, what are the business figures (SPEC §8), is anyone behind?',
    variables: ['datasource', 'service', 'instance', 'group'],
    panels: [...health(), ...kpis(), ...businessBreakdowns(), ...flow(), ...resources()],
  });
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
    {
      title: 'Ingested events / s by outcome',
      description: 'Events the ingest API accepted, rejected (to the DLQ) or could not take (503).',
      queries: [[`sum by (outcome) (rate(ingest_events_total{${SVC}}${RATE}))`, '{{outcome}}']],
      unit: 'ops',
    },
    {
      title: 'Fraud alerts / s by rule',
      description: 'Alerts raised by the fraud-detector (SPEC §7).',
      queries: [[`sum by (rule) (rate(fraud_alerts_total{${SVC}}${RATE}))`, '{{rule}}']],
      unit: 'ops',
    },
    {
      title: 'Consumer lag by group',
      description:
        'Records behind the log end: max over metrics replicas per partition, summed over partitions.',
      queries: [[`sum by (group) (${LAG_BY_PARTITION})`, '{{group}}']],
    },
    {
      title: 'Gauge refresh failures / s',
      description:
        'The metrics service could not refresh its gauges from Postgres or Kafka: the figures above are stale.',
      queries: [
        [
          `sum by (source) (rate(metrics_gauge_refresh_failures_total{${SVC}}${RATE}))`,
          '{{source}}',
        ],
      ],
      unit: 'ops',
      threshold: 0.001,
    },
  ];
}

/** CPU and memory of the five services. */
function resources(): PanelSpec[] {
  return [
    {
      title: 'CPU per service',
      description:
        "CPU seconds used per second, summed over a service's instances (the five services only).",
      queries: [[`sum by (job) (rate(process_cpu_seconds_total{${SVC}}${RATE}))`, '{{job}}']],
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

export function ingest(): Dashboard {
  const requests = (extra: string) => `ingest_request_duration_seconds_count{${SVC}${extra}}`;
  return dashboard({
    uid: 'clickstream-ingest',
    title: 'Clickstream ingest',
    description: 'Is the ingest API taking events, how fast, and is Kafka keeping up with it?',
    variables: ['datasource', 'service', 'instance'],
    panels: [
      {
        title: 'Requests / s by route and status',
        description: 'Every answered ingest request.',
        queries: [
          [`sum by (route, status) (rate(${requests('')}${RATE}))`, '{{route}} {{status}}'],
        ],
        unit: 'reqps',
      },
      {
        title: 'Events / s by outcome',
        description:
          'accepted: acknowledged by Kafka; rejected: invalid, sent to the DLQ; unavailable: answered 503.',
        queries: [[`sum by (outcome) (rate(ingest_events_total{${SVC}}${RATE}))`, '{{outcome}}']],
        unit: 'ops',
      },
      {
        title: 'Request latency p50 / p99',
        description: 'From body parsed to answer, per route.',
        queries: [
          [
            quantile(0.5, `ingest_request_duration_seconds_bucket{${SVC}}`, 'route'),
            'p50 {{route}}',
          ],
          [
            quantile(0.99, `ingest_request_duration_seconds_bucket{${SVC}}`, 'route'),
            'p99 {{route}}',
          ],
        ],
        unit: 's',
      },
      {
        title: 'Produce latency p50 / p99',
        description: 'One coalesced Kafka transaction (send + commit), by outcome.',
        queries: [
          [
            quantile(0.5, `ingest_produce_duration_seconds_bucket{${SVC}}`, 'outcome'),
            'p50 {{outcome}}',
          ],
          [
            quantile(0.99, `ingest_produce_duration_seconds_bucket{${SVC}}`, 'outcome'),
            'p99 {{outcome}}',
          ],
        ],
        unit: 's',
      },
      {
        title: 'Producer backlog',
        description:
          'Events waiting for or in a Kafka flush; at INGEST_MAX_BACKLOG_EVENTS requests get 503.',
        queries: [[`max by (instance) (ingest_backlog_events{${SVC}})`, '{{instance}}']],
      },
      {
        title: 'Rejected events / s',
        description: 'Invalid events, each sent to the events DLQ (0 when all is well).',
        queries: [
          [
            `sum by (instance) (rate(ingest_events_total{${SVC}, outcome="rejected"}${RATE}))`,
            '{{instance}}',
          ],
        ],
        unit: 'ops',
      },
      {
        title: '503 Service unavailable / s',
        description:
          'Requests refused because Kafka was unavailable or the backlog was full; clients retry after Retry-After.',
        queries: [
          [
            `sum by (instance) (rate(${requests(', status="503"')}${RATE}))`,
            'requests {{instance}}',
          ],
          [
            `sum by (instance) (rate(ingest_events_total{${SVC}, outcome="unavailable"}${RATE}))`,
            'events {{instance}}',
          ],
        ],
        unit: 'reqps',
        threshold: 0.001,
      },
      {
        title: 'Client errors (4xx) / s',
        description:
          'Requests answered 4xx: every event invalid, an empty body, too many events or a bad key.',
        queries: [
          [
            `sum by (route, status) (rate(${requests(', status=~"4.."')}${RATE}))`,
            '{{route}} {{status}}',
          ],
        ],
        unit: 'reqps',
      },
    ],
  });
}

export function fraud(): Dashboard {
  const latency = `fraud_detection_latency_seconds_bucket{${SVC}}`;
  return dashboard({
    uid: 'clickstream-fraud',
    title: 'Clickstream fraud',
    description: 'Which rules fire, how often, and how fast are they detected?',
    variables: ['datasource', 'service', 'instance'],
    panels: [
      {
        title: 'Alerts / s by rule and severity',
        description: 'Alerts raised over time (SPEC §7).',
        queries: [
          [
            `sum by (rule, severity) (rate(fraud_alerts_total{${SVC}}${RATE}))`,
            '{{rule}} ({{severity}})',
          ],
        ],
        unit: 'ops',
      },
      {
        type: 'bargauge',
        title: 'Alerts in the time range by rule',
        description: "Alerts raised by each rule in the dashboard's time range.",
        queries: [
          [`sort_desc(sum by (rule) (increase(fraud_alerts_total{${SVC}}[$__range])))`, '{{rule}}'],
        ],
        instant: true,
      },
      {
        title: 'Detection latency p50 / p99 by rule',
        description:
          'From the input that completed an alert entering the system to the alert; the p99 alert fires above 250 ms.',
        queries: [
          [quantile(0.5, latency, 'rule'), 'p50 {{rule}}'],
          [quantile(0.99, latency, 'rule'), 'p99 {{rule}}'],
        ],
        unit: 's',
        threshold: 0.25,
      },
      {
        title: 'Rule evaluations / s by rule',
        description:
          'Inputs (events, final minutes) each rule looked at: a rule at 0 sees nothing.',
        queries: [
          [`sum by (rule) (rate(fraud_rule_evaluations_total{${SVC}}${RATE}))`, '{{rule}}'],
        ],
        unit: 'ops',
      },
      {
        title: 'Rules revision by detector',
        description:
          'The clickstream.rules.v1 revision each fraud-detector applies (0: none). The lines meet within seconds of a change; one left behind judges with old settings.',
        queries: [[`max by (instance) (fraud_detector_rules_revision{${SVC}})`, '{{instance}}']],
        unit: 'none',
      },
      {
        title: 'Rule changes / s: published and applied',
        description:
          'Changes the metrics API published to clickstream.rules.v1, and changes the detectors applied (each detector applies each change once).',
        queries: [
          [`sum(rate(metrics_rule_records_published_total{${SVC}}${RATE}))`, 'published'],
          [
            `sum by (rule) (rate(fraud_detector_rule_changes_total{${SVC}}${RATE}))`,
            'applied {{rule}}',
          ],
        ],
        unit: 'ops',
      },
      {
        title: 'Rules failures / s',
        description:
          'Publishing a stored change failed (retried with backoff), the detectors could not read the rules topic, or a record on it was not a valid rule (skipped).',
        queries: [
          [`sum(rate(metrics_rules_publish_failures_total{${SVC}}${RATE}))`, 'publish'],
          [
            `sum by (stage) (rate(fraud_detector_rules_table_errors_total{${SVC}}${RATE}))`,
            'read: {{stage}}',
          ],
          [
            `sum(rate(fraud_detector_rule_records_rejected_total{${SVC}}${RATE}))`,
            'rejected records',
          ],
        ],
        unit: 'ops',
        threshold: 0.001,
      },
    ],
  });
}
