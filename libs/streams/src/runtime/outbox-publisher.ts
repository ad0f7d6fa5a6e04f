import { createHash } from 'node:crypto';
import { Admin, Kafka, Producer } from 'kafkajs';
import { deadLetterRefusedOutput, ProductionExceptionHandler } from '../core/exception-handlers';
import { OutboxMessage } from '../core/task';
import { classifyFailure, failureSignature } from './failure';
import { StreamsLogger, silentLogger } from './logger';
import { TaskIdentity } from './task-repository';

export interface OutboxPublisherOptions {
  /** Where a message the broker refuses on its own goes instead (with the broker's reason). */
  deadLetterTopic?: string;
  /** Upper bound of one produce request's record bytes; the topics' max.message.bytes lowers it. */
  maxRequestBytes?: number;
  logger?: StreamsLogger;
  /** What a message the broker refuses twice gets; default: replaced by a dead letter. */
  productionHandler?: ProductionExceptionHandler;
  /** Called once per message replaced by a dead letter. */
  onRejected?: (topic: string, reason: string) => void;
}

/** Room for record and batch headers on top of keys and values. */
const RECORD_OVERHEAD_BYTES = 64;
const BATCH_OVERHEAD_BYTES = 16 * 1024;
const DEFAULT_MAX_REQUEST_BYTES = 1_000_000;

/**
 * Publishes one task's outbox exactly once on the output topics.
 *
 * Each publish is a Kafka transaction that carries the messages AND a checkpoint: the next
 * sequence number, committed as the "offset" of the task's source partition for the consumer group
 * `<appId>.outbox` (a group with no members that serves only as durable, transactional storage).
 * Messages and checkpoint become visible together or not at all. A new owner of the task uses the
 * same transactional id, so `initTransactions` fences the old producer and aborts its open
 * transaction; it then reads the checkpoint and publishes only outbox rows at or above it.
 * A read_committed consumer therefore never sees a message twice.
 *
 * Within a transaction the messages go out in produce requests under the broker's message size
 * limit. A message the broker refuses on its own (over max.message.bytes, invalid) is found by
 * publishing one message per request, and after a second identical refusal is replaced by a
 * dead letter: the outbox can never be stuck behind it.
 */
export class OutboxPublisher {
  private producer?: Producer;
  private nextToPublish = 0;
  private readonly logger: StreamsLogger;
  private readonly maxMessageBytes = new Map<string, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly task: TaskIdentity,
    private readonly options: OutboxPublisherOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  get transactionalId(): string {
    return `${this.task.appId}.${this.task.topic}.${this.task.partition}`;
  }

  get checkpointGroup(): string {
    return `${this.task.appId}.outbox`;
  }

  /** Lowest sequence not yet confirmed on Kafka. */
  get confirmedBelow(): number {
    return this.nextToPublish;
  }

  /** Fences any previous owner, then reads how far the outbox was published. */
  async init(): Promise<number> {
    this.producer = this.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
    });
    await this.producer.connect();
    // kafkajs runs InitProducerId lazily, at the first transaction. Fencing must come BEFORE the
    // checkpoint is read, or a zombie could publish after we read it: begin (InitProducerId bumps
    // the epoch and aborts the old owner's open transaction) and abort an empty transaction.
    const fence = await this.producer.transaction();
    await fence.abort();
    const offsets = await this.admin.fetchOffsets({
      groupId: this.checkpointGroup,
      topics: [this.task.topic],
    });
    const mine = offsets[0]?.partitions.find((p) => p.partition === this.task.partition);
    const seq = mine ? Number(mine.offset) : -1;
    this.nextToPublish = seq >= 0 ? seq : 0;
    return this.nextToPublish;
  }

  /** Publishes messages (in seq order) that were not published yet; a no-op when there are none. */
  async publish(messages: OutboxMessage[]): Promise<number> {
    const fresh = messages.filter((m) => m.seq >= this.nextToPublish);
    if (fresh.length === 0 || !this.producer) return 0;
    const budget = await this.requestBudget(fresh);
    const next = fresh[fresh.length - 1].seq + 1;
    try {
      await this.transaction(next, chunkBySize(fresh, budget));
    } catch (err) {
      if (classifyFailure(err).kind !== 'data') throw err;
      this.logger.warn(
        { ...this.context(fresh), err: (err as Error).message },
        'outbox publish refused, isolating the message',
      );
      await this.isolate(fresh, next);
    }
    this.nextToPublish = next;
    return fresh.length;
  }

  /** One message per produce request until the refused one is known; it is then dead-lettered. */
  private async isolate(messages: OutboxMessage[], next: number): Promise<void> {
    const list: Array<OutboxMessage | null> = [...messages];
    const refusedOnce = new Map<number, string>();
    for (;;) {
      await this.renew();
      let failedAt = -1;
      const chunks = list.flatMap((m, i) => (m ? [{ m, i }] : []));
      try {
        await this.transaction(
          next,
          chunks.map(({ m }) => [m]),
          (chunk) => (failedAt = chunks[chunk].i),
        );
        return;
      } catch (err) {
        const failure = classifyFailure(err);
        if (failure.kind !== 'data' || failedAt < 0) throw err;
        const signature = failureSignature(failure);
        if (refusedOnce.get(failedAt) !== signature) {
          refusedOnce.set(failedAt, signature);
          continue;
        }
        const handler = this.options.productionHandler ?? deadLetterRefusedOutput;
        const refused = messages[failedAt];
        const where = {
          processor: this.task.appId,
          topic: this.task.topic,
          partition: this.task.partition,
          targetTopic: refused.topic,
          seq: refused.seq,
        };
        if (handler.handle(where, failure) === 'fail') throw err;
        list[failedAt] = this.deadLetterFor(list[failedAt]!, `${failure.code}: ${failure.message}`);
        this.options.onRejected?.(messages[failedAt].topic, failure.code);
        this.logger.error(
          {
            ...this.context([messages[failedAt]]),
            targetTopic: messages[failedAt].topic,
            code: failure.code,
            err: failure.message,
          },
          'outbox message dead-lettered',
        );
      }
    }
  }

  /** The messages and the checkpoint in one transaction, one produce request per chunk. */
  private async transaction(
    next: number,
    chunks: OutboxMessage[][],
    onChunkFailed?: (chunk: number) => void,
  ): Promise<void> {
    const txn = await this.producer!.transaction();
    try {
      for (const [index, chunk] of chunks.entries()) {
        try {
          await txn.sendBatch({ acks: -1, topicMessages: byTopic(chunk) });
        } catch (err) {
          onChunkFailed?.(index);
          throw err;
        }
      }
      await txn.sendOffsets({
        consumerGroupId: this.checkpointGroup,
        topics: [
          {
            topic: this.task.topic,
            partitions: [{ partition: this.task.partition, offset: String(next) }],
          },
        ],
      });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  /** A refused message's stand-in: same seq, on the dead-letter topic, with the reason and a digest of it. */
  private deadLetterFor(m: OutboxMessage, reason: string): OutboxMessage | null {
    // Without a dead-letter topic the message is dropped (it was logged and counted).
    if (!this.options.deadLetterTopic) return null;
    const value = Buffer.from(m.value, 'utf8');
    const record = {
      original: null,
      payload_truncated: true,
      payload_bytes: value.length,
      payload_sha256: createHash('sha256').update(value).digest('hex'),
      payload_prefix: value.subarray(0, 1024).toString('utf8'),
      reason: 'publish_rejected',
      field: null,
      message: reason,
      source: this.task.appId,
      target_topic: m.topic,
      failed_at: new Date().toISOString(),
      topic: this.task.topic,
      partition: this.task.partition,
      outbox_seq: m.seq,
    };
    return {
      seq: m.seq,
      topic: this.options.deadLetterTopic,
      key: m.key,
      value: JSON.stringify(record),
    };
  }

  /** A refused request can leave the idempotent producer's sequence state behind: start a new one. */
  private async renew(): Promise<void> {
    await this.close();
    await this.init();
  }

  /** The smallest max.message.bytes of the target topics (read once per topic), within the request bound. */
  private async requestBudget(messages: OutboxMessage[]): Promise<number> {
    const topics = [...new Set(messages.map((m) => m.topic))];
    const unknown = topics.filter((t) => !this.maxMessageBytes.has(t));
    if (unknown.length) {
      const described = await this.admin
        .describeConfigs({
          includeSynonyms: false,
          resources: unknown.map((name) => ({ type: 2, name, configNames: ['max.message.bytes'] })),
        })
        .catch(() => undefined);
      for (const t of unknown) {
        const entry = described?.resources
          .find((r) => r.resourceName === t)
          ?.configEntries.find((e) => e.configName === 'max.message.bytes');
        this.maxMessageBytes.set(t, entry ? Number(entry.configValue) : DEFAULT_MAX_REQUEST_BYTES);
      }
    }
    const limit = Math.min(
      this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      ...topics.map((t) => this.maxMessageBytes.get(t)!),
    );
    return Math.max(limit - BATCH_OVERHEAD_BYTES, 1);
  }

  private context(messages: OutboxMessage[]): Record<string, unknown> {
    return {
      task: `${this.task.topic}-${this.task.partition}`,
      processor: this.task.appId,
      firstSeq: messages[0]?.seq,
      messages: messages.length,
    };
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }
}

const messageBytes = (m: OutboxMessage) =>
  Buffer.byteLength(m.value, 'utf8') +
  (m.key === null ? 0 : Buffer.byteLength(m.key, 'utf8')) +
  RECORD_OVERHEAD_BYTES;

/** Consecutive messages in chunks of at most `budget` bytes; a larger message travels alone. */
export function chunkBySize(messages: OutboxMessage[], budget: number): OutboxMessage[][] {
  const chunks: OutboxMessage[][] = [];
  let current: OutboxMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = messageBytes(m);
    if (current.length > 0 && bytes + size > budget) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

function byTopic(
  messages: OutboxMessage[],
): Array<{ topic: string; messages: Array<{ key: string | null; value: string }> }> {
  const grouped = new Map<string, Array<{ key: string | null; value: string }>>();
  for (const m of messages) {
    const list = grouped.get(m.topic) ?? [];
    list.push({ key: m.key, value: m.value });
    grouped.set(m.topic, list);
  }
  return [...grouped].map(([topic, list]) => ({ topic, messages: list }));
}
