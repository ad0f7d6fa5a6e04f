/** Kafka topics of the platform (SPEC §10). Values are JSON; keys as noted. */
export const TOPICS = {
  /** Valid, normalised ClickEvents. Key: user_id. */
  events: 'clickstream.events.v1',
  /** DeadLetterRecords of events that failed validation or processing. Key: user_id when known. */
  eventsDlq: 'clickstream.events.dlq.v1',
  /** LateEventRecords: events older than a processor's watermark. Key: user_id. */
  late: 'clickstream.late.v1',
  /** Closed sessions. Key: user_id. */
  sessions: 'clickstream.sessions.v1',
  /** Final window aggregates. */
  aggregates: 'clickstream.aggregates.v1',
  /** Fraud and anomaly alerts. Key: user_id or `*`. */
  alerts: 'clickstream.alerts.v1',
  /** RuleRecords: each fraud rule's runtime config (compacted). Key: the rule. */
  rules: 'clickstream.rules.v1',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

/** Shape of kafkajs' ITopicConfig, so `admin.createTopics({ topics: topicSpecs(...) })` type-checks. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries: { name: string; value: string }[];
}

export interface TopicSpecOptions {
  partitions: number;
  replicationFactor: number;
  /** Prepended to every name (see topicNames). */
  prefix?: string;
}

export type TopicNames = Record<TopicKey, string>;

/**
 * The topic names with an optional prefix, so several deployments (or test runs) can share one
 * cluster without seeing each other's data. No prefix: exactly the SPEC §10 names.
 */
export function topicNames(prefix = ''): TopicNames {
  const out = {} as TopicNames;
  for (const key of Object.keys(TOPICS) as TopicKey[]) out[key] = `${prefix}${TOPICS[key]}`;
  return out;
}

const DAY_MS = 24 * 60 * 60 * 1000;

// Streams are replayable for a week; DLQ and late events wait longer, since someone has to look at them.
const RETENTION_MS: Record<TopicKey, number> = {
  events: 7 * DAY_MS,
  eventsDlq: 30 * DAY_MS,
  late: 30 * DAY_MS,
  sessions: 7 * DAY_MS,
  aggregates: 7 * DAY_MS,
  alerts: 30 * DAY_MS,
  // Compacted: the latest record of a rule stays; retention only applies to delete-policy topics.
  rules: 30 * DAY_MS,
};

/** Topics read as tables: one partition (a few small keys, read whole by every instance), compacted. */
const TABLE_TOPICS: ReadonlySet<TopicKey> = new Set(['rules']);

/** Specs of every topic, for creating the missing ones at start-up. */
export function topicSpecs({
  partitions,
  replicationFactor,
  prefix = '',
}: TopicSpecOptions): TopicSpec[] {
  requirePositiveInteger('partitions', partitions);
  requirePositiveInteger('replicationFactor', replicationFactor);
  // The usual durable setting is 3 replicas with min ISR 2: acks=all writes survive one broker down.
  // With fewer replicas a min ISR of 2 would stop all writes whenever one broker restarts.
  const minInSyncReplicas = replicationFactor >= 3 ? 2 : 1;
  return (Object.keys(TOPICS) as TopicKey[]).map((key) => ({
    topic: `${prefix}${TOPICS[key]}`,
    numPartitions: TABLE_TOPICS.has(key) ? 1 : partitions,
    replicationFactor,
    configEntries: [
      { name: 'cleanup.policy', value: TABLE_TOPICS.has(key) ? 'compact' : 'delete' },
      { name: 'retention.ms', value: String(RETENTION_MS[key]) },
      { name: 'min.insync.replicas', value: String(minInSyncReplicas) },
    ],
  }));
}

function requirePositiveInteger(name: string, value: number): void {
  if (Number.isInteger(value) && value >= 1) return;
  throw new RangeError(`${name} must be an integer >= 1 (got ${value})`);
}
