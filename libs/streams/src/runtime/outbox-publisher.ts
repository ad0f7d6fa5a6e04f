import { Admin, Kafka, Producer } from 'kafkajs';
import { OutboxMessage } from '../core/task';
import { TaskIdentity } from './task-repository';

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
 */
export class OutboxPublisher {
  private producer?: Producer;
  private nextToPublish = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly task: TaskIdentity,
  ) {}

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
    const offsets = await this.admin.fetchOffsets({ groupId: this.checkpointGroup, topics: [this.task.topic] });
    const mine = offsets[0]?.partitions.find((p) => p.partition === this.task.partition);
    const seq = mine ? Number(mine.offset) : -1;
    this.nextToPublish = seq >= 0 ? seq : 0;
    return this.nextToPublish;
  }

  /** Publishes messages (in seq order) that were not published yet; a no-op when there are none. */
  async publish(messages: OutboxMessage[]): Promise<number> {
    const fresh = messages.filter((m) => m.seq >= this.nextToPublish);
    if (fresh.length === 0 || !this.producer) return 0;
    const byTopic = new Map<string, Array<{ key: string | null; value: string }>>();
    for (const m of fresh) {
      const list = byTopic.get(m.topic) ?? [];
      list.push({ key: m.key, value: m.value });
      byTopic.set(m.topic, list);
    }
    const next = fresh[fresh.length - 1].seq + 1;
    const txn = await this.producer.transaction();
    try {
      await txn.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
      await txn.sendOffsets({
        consumerGroupId: this.checkpointGroup,
        topics: [{ topic: this.task.topic, partitions: [{ partition: this.task.partition, offset: String(next) }] }],
      });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    this.nextToPublish = next;
    return fresh.length;
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }
}
