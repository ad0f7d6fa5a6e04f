import {
  ASSIGNED_EVENT_ID_HEADERS,
  DEFAULT_MAX_FUTURE_MS,
  TOPICS,
  deadLetterKey,
  eventKey,
  formatEventTime,
  topicSpecs,
  validateEvent,
  validationDeadLetter,
} from '@clickstream/contracts';
import { withTimeout } from '@clickstream/streams';
import { Kafka, LogEntry, Partitioners, Producer, TopicMessages, logLevel } from 'kafkajs';
import type { EventSink, SendResult } from './event-sink-port';

/** The local broker of `npm run kafka:start`, as the services default to it. */
export const DEFAULT_KAFKA_BROKERS_LIST = '127.0.0.1:19092';

export interface KafkaSinkOptions {
  /** Comma-separated host:port list. Default $KAFKA_BROKERS, else 127.0.0.1:19092. */
  brokers?: string;
  /**
   * Prepended to the default topic names, as the services' KAFKA_TOPIC_PREFIX.
   * Default $KAFKA_TOPIC_PREFIX, else none.
   */
  topicPrefix?: string;
  /** Topic of valid events. Default <prefix>clickstream.events.v1. */
  topic?: string;
  /** Topic of dead letters. Default <prefix>clickstream.events.dlq.v1. */
  dlqTopic?: string;
  /** `source` of the DLQ records (who rejected the event). Default `tools`. */
  source?: string;
  clientId?: string;
  /** Connecting (and creating missing topics) must succeed within this. Default 30 s. */
  connectTimeoutMs?: number;
  /** A batch must be acknowledged within this. Default 2 min. */
  sendTimeoutMs?: number;
  /**
   * Create the event and DLQ topics when missing, as the services do at start-up (partitions and
   * replication from $KAFKA_TOPIC_PARTITIONS / $KAFKA_REPLICATION_FACTOR, default 6 / 1). Default true.
   */
  ensureTopics?: boolean;
  /** Future bound of event_time, as ingest's. Default 5 min (SPEC §2). */
  maxFutureMs?: number;
}

/**
 * Produces straight to Kafka what ingest would: each event validated and normalised by the
 * contract, valid ones to the events topic keyed by user_id, invalid ones as DLQ records, all in
 * one acks=all batch of an idempotent producer. Ingest is bypassed, so no received_at other than
 * the batch's send time and no ingest metrics.
 */
export class KafkaEventSink implements EventSink {
  private constructor(
    private readonly producer: Producer,
    private readonly opts: Required<
      Pick<KafkaSinkOptions, 'topic' | 'dlqTopic' | 'source' | 'sendTimeoutMs' | 'maxFutureMs'>
    >,
  ) {}

  /** Where valid events go. */
  get topic(): string {
    return this.opts.topic;
  }

  /** Where invalid events go, as DLQ records. */
  get dlqTopic(): string {
    return this.opts.dlqTopic;
  }

  static async connect(opts: KafkaSinkOptions = {}): Promise<KafkaEventSink> {
    const brokers = parseBrokers(
      opts.brokers ?? process.env.KAFKA_BROKERS ?? DEFAULT_KAFKA_BROKERS_LIST,
    );
    const prefix = opts.topicPrefix ?? process.env.KAFKA_TOPIC_PREFIX ?? '';
    const topic = opts.topic ?? `${prefix}${TOPICS.events}`;
    const dlqTopic = opts.dlqTopic ?? `${prefix}${TOPICS.eventsDlq}`;
    const connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
    const kafka = new Kafka({
      clientId: opts.clientId ?? 'clickstream-tools',
      brokers,
      connectionTimeout: 3000,
      logLevel: logLevel.ERROR,
      logCreator: () => logToStderr,
    });
    // Same partitioner as the services (murmur2, Java-compatible): a user's events land on the
    // partition ingest would pick.
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const where = `Kafka at ${brokers.join(',')}`;
    try {
      await withTimeout(
        (async () => {
          if (opts.ensureTopics ?? true) await ensureTopics(kafka, [topic, dlqTopic], prefix);
          await producer.connect();
        })(),
        connectTimeoutMs,
        `connecting to ${where}`,
      );
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw new Error(
        `cannot use ${where}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return new KafkaEventSink(producer, {
      topic,
      dlqTopic,
      source: opts.source ?? 'tools',
      sendTimeoutMs: opts.sendTimeoutMs ?? 120_000,
      maxFutureMs: opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
    });
  }

  async send(events: unknown[]): Promise<SendResult> {
    const { topicMessages, result } = buildKafkaBatch(events, { ...this.opts, now: Date.now() });
    if (topicMessages.length > 0) {
      await withTimeout(
        this.producer.sendBatch({ acks: -1, topicMessages }),
        this.opts.sendTimeoutMs,
        `Kafka acknowledging ${events.length} events`,
      );
    }
    return result;
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

export interface KafkaBatchOptions {
  topic: string;
  dlqTopic: string;
  source: string;
  /** Clock of validation (future bound), received_at and failed_at (epoch ms). */
  now: number;
  maxFutureMs?: number;
}

/** The Kafka messages of a batch and the result to report, as ingest would build them. */
export function buildKafkaBatch(
  events: unknown[],
  opts: KafkaBatchOptions,
): { topicMessages: TopicMessages[]; result: SendResult } {
  const receivedAt = formatEventTime(opts.now);
  const valid: TopicMessages = { topic: opts.topic, messages: [] };
  const dead: TopicMessages = { topic: opts.dlqTopic, messages: [] };
  const result: SendResult = { accepted: 0, rejected: 0, errors: [] };
  events.forEach((raw, index) => {
    const checked = validateEvent(raw, {
      now: opts.now,
      receivedAt,
      maxFutureMs: opts.maxFutureMs,
    });
    if (checked.ok) {
      valid.messages.push({
        key: eventKey(checked.event),
        value: JSON.stringify(checked.event),
        // As ingest: an id minted here (once per send) is marked, so processors do not remember it.
        headers: checked.assignedId ? ASSIGNED_EVENT_ID_HEADERS : undefined,
      });
      result.accepted += 1;
      return;
    }
    const record = validationDeadLetter(raw, checked.errors, {
      source: opts.source,
      now: opts.now,
    });
    dead.messages.push({ key: deadLetterKey(raw), value: JSON.stringify(record) });
    result.rejected += 1;
    // As ingest answers: one entry per rejected event, its first issue (the DLQ record has them all).
    result.errors.push({
      index,
      field: checked.errors[0].field,
      message: checked.errors[0].message,
    });
  });
  return { topicMessages: [valid, dead].filter((t) => t.messages.length > 0), result };
}

/** `host:port[,host:port...]`, or a RangeError naming the bad entry. */
export function parseBrokers(list: string): string[] {
  const brokers = list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0)
    throw new RangeError('brokers must be a comma-separated list of host:port (got "")');
  for (const broker of brokers) {
    const match = /^([^\s:,]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(broker);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65_535) {
      throw new RangeError(`broker ${JSON.stringify(broker)} must be host:port`);
    }
  }
  return brokers;
}

/** Creates the missing ones of `topics` with the platform's topic settings. */
async function ensureTopics(kafka: Kafka, topics: string[], prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    const specs = topicSpecs({
      partitions: envInt('KAFKA_TOPIC_PARTITIONS', 6),
      replicationFactor: envInt('KAFKA_REPLICATION_FACTOR', 1),
    });
    const specOf = (name: string) => specs.find((s) => `${prefix}${s.topic}` === name);
    const eventsSpec = specOf(`${prefix}${TOPICS.events}`)!;
    await admin.createTopics({
      waitForLeaders: true,
      // A custom topic gets the settings of the events topic.
      topics: missing.map((t) => ({ ...(specOf(t) ?? eventsSpec), topic: t })),
    });
    process.stderr.write(`[kafka] created topic(s) ${missing.join(', ')}\n`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be an integer >= 1 (got ${JSON.stringify(raw)})`);
  return value;
}

/** kafkajs errors, each distinct one once: a retry loop against a dead broker must not flood the terminal. */
const loggedOnce = new Set<string>();
function logToStderr({ namespace, log }: LogEntry): void {
  const { message, error } = log as { message?: string; error?: string };
  const line = `[kafkajs] ${namespace ? `${namespace}: ` : ''}${message ?? ''}${error && !message?.includes(error) ? ` (${error})` : ''}`;
  if (loggedOnce.has(line) || loggedOnce.size > 100) return;
  loggedOnce.add(line);
  process.stderr.write(`${line}\n`);
}
