import { KafkaConsumer, LibrdKafkaError, Message, Metadata } from 'node-rdkafka';
import {
  ALERT_RULES,
  AlertRule,
  firstIssue,
  RuleRecord,
  ruleRecordSchema,
} from '@clickstream/contracts';
import { restartDelayMs, withTimeout } from '@clickstream/streams';
import { AppliedChange, LiveFraudConfig } from './live-fraud-config';

export interface RulesTableLogger {
  info(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}

export interface RulesTableHooks {
  onApplied?(change: AppliedChange, revision: number): void;
  onInvalid?(): void;
  onError?(stage: 'bootstrap' | 'consume'): void;
}

export interface RulesTableOptions extends RulesTableHooks {
  brokers: string[];
  topic: string;
  clientId: string;
  live: LiveFraudConfig;
  logger: RulesTableLogger;
  /** Runs before each bootstrap attempt (creates the topic on a fresh cluster). */
  prepare?: () => Promise<void>;
  /** One bootstrap attempt: connect, read every partition to its end. Default 30 s. */
  attemptTimeoutMs?: number;
}

const isRule = (key: string): key is AlertRule => (ALERT_RULES as readonly string[]).includes(key);

/**
 * clickstream.rules.v1 read as a global table, as Kafka Streams reads a GlobalKTable: every
 * instance assigns itself all partitions (no consumer group, nothing committed), reads them from
 * the beginning with read_committed, and keeps following them. `start()` resolves once every
 * partition was read to its end, so the detector never judges an event with a config older than
 * the table it could have read; each later record applies from the next event.
 *
 * librdkafka, not kafkajs: kafkajs has no assign() without a group, and librdkafka reports the end
 * of a partition (partition EOF) past transaction markers, which is the bootstrap's finish line.
 */
export class RulesTable {
  private consumer?: KafkaConsumer;
  private stopped = false;

  constructor(private readonly o: RulesTableOptions) {}

  /** Bootstraps, retrying with capped, jittered backoff until it succeeds or stop() is called. */
  async start(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.o.prepare?.();
        await this.bootstrap();
        this.o.logger.info(
          { topic: this.o.topic, revision: this.o.live.revision, attempt },
          'rules table read to its end',
        );
        return;
      } catch (err) {
        await this.disconnect();
        this.o.onError?.('bootstrap');
        const delayMs = restartDelayMs(attempt, { initialMs: 500, maxMs: 30_000 });
        this.o.logger.warn(
          { topic: this.o.topic, attempt, delayMs, err: (err as Error).message },
          'rules table bootstrap failed, retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private async bootstrap(): Promise<void> {
    const timeoutMs = this.o.attemptTimeoutMs ?? 30_000;
    const consumer = new KafkaConsumer(
      {
        'metadata.broker.list': this.o.brokers.join(','),
        'client.id': this.o.clientId,
        // Required by the client; never joined (assign, not subscribe) and never committed.
        'group.id': `${this.o.clientId}.rules-table`,
        'enable.auto.commit': false,
        'enable.partition.eof': true,
        'isolation.level': 'read_committed',
        'socket.connection.setup.timeout.ms': Math.min(timeoutMs, 10_000),
      },
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer = consumer;
    const metadata = await new Promise<Metadata>((resolve, reject) =>
      consumer.connect(
        { topic: this.o.topic, timeout: timeoutMs },
        (err: LibrdKafkaError, data: Metadata) => (err ? reject(err) : resolve(data)),
      ),
    );
    const partitions =
      metadata.topics.find((t) => t.name === this.o.topic)?.partitions.map((p) => p.id) ?? [];
    if (partitions.length === 0)
      throw new Error(`topic ${this.o.topic} has no partitions (missing?)`);

    const atEnd = new Set<number>();
    let caughtUp!: () => void;
    const bootstrapped = new Promise<void>((resolve) => (caughtUp = resolve));
    consumer.on('data', (message) => this.onMessage(message));
    consumer.on('partition.eof', (eof: { partition: number }) => {
      atEnd.add(eof.partition);
      if (atEnd.size === partitions.length) caughtUp();
    });
    consumer.on('event.error', (err) => {
      this.o.onError?.('consume');
      this.o.logger.error({ topic: this.o.topic, err: err.message }, 'rules table consumer error');
    });
    // OFFSET_BEGINNING: the whole compacted table, every time.
    consumer.assign(
      partitions.map((partition) => ({ topic: this.o.topic, partition, offset: -2 })),
    );
    consumer.consume();
    await withTimeout(bootstrapped, timeoutMs, 'reading the rules table to its end');
  }

  /** A record that is not a valid rule is logged, counted and skipped: the table never stalls on one. */
  private onMessage(message: Message): void {
    const key = message.key === undefined || message.key === null ? '' : message.key.toString();
    const where = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key,
    };
    if (!isRule(key)) return this.invalid(where, `key: must be one of ${ALERT_RULES.join(', ')}`);
    let record: RuleRecord | null = null;
    if (message.value !== null) {
      let json: unknown;
      try {
        json = JSON.parse(message.value.toString('utf8'));
      } catch {
        return this.invalid(where, 'value: not JSON');
      }
      const parsed = ruleRecordSchema.safeParse(json);
      if (!parsed.success) {
        const { field, message: reason } = firstIssue(parsed.error);
        return this.invalid(where, `${field}: ${reason}`);
      }
      if (parsed.data.rule !== key)
        return this.invalid(where, `rule: "${parsed.data.rule}" differs from the key`);
      record = parsed.data;
    }
    const change = this.o.live.apply(key, record);
    if (!change) return;
    this.o.onApplied?.(change, this.o.live.revision);
    this.o.logger.info(
      {
        ...where,
        rule: key,
        revision: change.revision,
        before: change.before,
        after: change.after,
        changedBy: record?.changed_by ?? null,
      },
      'fraud rule changed',
    );
  }

  private invalid(where: Record<string, unknown>, reason: string): void {
    this.o.onInvalid?.();
    this.o.logger.error({ ...where, reason }, 'rules record rejected');
  }

  private async disconnect(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    consumer.removeAllListeners('data');
    try {
      // Ends the flowing consume loop before the client goes (else its timer keeps the process alive).
      consumer.unassign();
    } catch {
      // not connected: nothing assigned
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      try {
        consumer.disconnect(() => {
          clearTimeout(timer);
          resolve();
        });
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.disconnect();
  }
}
