import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { Message, Producer } from 'kafkajs';
import { CachedDefaultPartitioner } from './cached-partitioner';
import { ClickstreamError, KafkaClient, MetricsService } from '@clickstream/platform';
import { ingestConfig, IngestConfig } from '../ingest.config';

export interface OutgoingMessage {
  topic: string;
  message: Message;
}

/** Kafka did not take the batch; nothing of it is visible to read_committed consumers. */
export class KafkaUnavailableError extends ClickstreamError {
  constructor(cause: unknown) {
    super(`Kafka unavailable: ${(cause as Error)?.message ?? String(cause)}`, 'KAFKA_UNAVAILABLE', true, { cause });
  }
}

export class BacklogFullError extends ClickstreamError {
  constructor(backlog: number, limit: number) {
    super(`producer backlog full (${backlog} of ${limit} events)`, 'BACKLOG_FULL', true);
  }
}

/** Bytes of message values per produce request: every partition's batch in it stays below 1 MiB. */
const MAX_PRODUCE_REQUEST_BYTES = 768 * 1024;

/** Splits the flush into topic→messages maps of at most `maxBytes` of values each (≥ 1 message). */
export function* chunksByBytes(batch: Array<{ messages: OutgoingMessage[] }>, maxBytes: number): Generator<Map<string, Message[]>> {
  let chunk = new Map<string, Message[]>();
  let bytes = 0;
  for (const p of batch) {
    for (const m of p.messages) {
      const size = typeof m.message.value === 'string' ? m.message.value.length : (m.message.value?.length ?? 0);
      if (bytes > 0 && bytes + size > maxBytes) {
        yield chunk;
        chunk = new Map();
        bytes = 0;
      }
      let list = chunk.get(m.topic);
      if (!list) chunk.set(m.topic, (list = []));
      list.push(m.message);
      bytes += size;
    }
  }
  if (bytes > 0 || chunk.size > 0) yield chunk;
}

interface Pending {
  messages: OutgoingMessage[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Coalesces requests into Kafka batches (linger by size and time), so throughput does not hinge on
 * one round trip per request. Each flush is ONE Kafka transaction: its messages (events and DLQ
 * records of several requests) become visible together or not at all, so a request is never
 * half-acknowledged, and a 503 answer means the retry cannot duplicate anything.
 */
@Injectable()
export class EventProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EventProducer.name);
  private producer?: Promise<Producer>;
  private queue: Pending[] = [];
  private queuedEvents = 0;
  private inFlightEvents = 0;
  private flushing = false;
  private timer?: NodeJS.Timeout;
  private readonly backlog;
  private readonly produceDuration;

  constructor(
    private readonly kafka: KafkaClient,
    @Inject(ingestConfig.KEY) private readonly config: IngestConfig,
    metrics: MetricsService,
  ) {
    this.backlog = metrics.gauge({ name: 'ingest_backlog_events', help: 'Events waiting for or in a Kafka flush.' });
    this.produceDuration = metrics.histogram({
      name: 'ingest_produce_duration_seconds',
      help: 'Duration of one coalesced Kafka transaction (send + commit).',
      labelNames: ['outcome'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  onModuleInit(): void {
    // Connect eagerly but do not block boot on Kafka: readiness reports it, sends retry it.
    void this.connected().catch((err: Error) => this.logger.warn({ msg: 'kafka producer not connected yet', err: err.message }));
  }

  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.kafka.producer({
        transactionalId: `clickstream-ingest-${hostname()}-${process.pid}`,
        idempotent: true,
        maxInFlightRequests: 1,
        // murmur2, as Java clients (cached per key): a user's events land where any Kafka client expects.
        createPartitioner: CachedDefaultPartitioner,
        // Bounded, so a dead broker answers 503 in seconds; the transaction keeps this safe.
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
      });
      await producer.connect();
      return producer;
    })().catch((err) => {
      this.producer = undefined;
      throw err;
    });
    return this.producer;
  }

  /** Resolves once Kafka acknowledged every message (acks=all, committed transaction). */
  send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const backlog = this.queuedEvents + this.inFlightEvents;
    if (backlog + messages.length > this.config.maxBacklogEvents) {
      return Promise.reject(new BacklogFullError(backlog, this.config.maxBacklogEvents));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      this.queuedEvents += messages.length;
      this.backlog.set(this.queuedEvents + this.inFlightEvents);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.queuedEvents >= this.config.maxFlushEvents || this.config.lingerMs === 0) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => void this.flush(), this.config.lingerMs);
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let n = 0;
    while (this.queue.length && (batch.length === 0 || n + this.queue[0].messages.length <= this.config.maxFlushEvents)) {
      const p = this.queue.shift()!;
      n += p.messages.length;
      batch.push(p);
    }
    this.queuedEvents -= n;
    this.inFlightEvents = n;
    return batch;
  }

  private async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.takeBatch();
    const started = process.hrtime.bigint();
    try {
      await this.produce(batch);
      this.produceDuration.observe({ outcome: 'ok' }, Number(process.hrtime.bigint() - started) / 1e9);
      for (const p of batch) p.resolve();
    } catch (err) {
      this.produceDuration.observe({ outcome: 'failed' }, Number(process.hrtime.bigint() - started) / 1e9);
      this.logger.warn({ msg: 'kafka flush failed', events: this.inFlightEvents, err: (err as Error).message });
      await this.reset();
      const error = new KafkaUnavailableError(err);
      for (const p of batch) p.reject(error);
    } finally {
      this.inFlightEvents = 0;
      this.flushing = false;
      this.backlog.set(this.queuedEvents);
      if (this.queue.length) this.schedule();
    }
  }

  private async produce(batch: Pending[]): Promise<void> {
    const producer = await this.connected();
    const txn = await producer.transaction();
    try {
      // Several produce requests in ONE transaction: no record batch grows past the broker's
      // message.max.bytes (1 MiB by default), or past what a consumer fetches at once.
      for (const chunk of chunksByBytes(batch, MAX_PRODUCE_REQUEST_BYTES)) {
        await txn.sendBatch({ acks: -1, topicMessages: [...chunk].map(([topic, messages]) => ({ topic, messages })) });
      }
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  /** A failed transaction can leave the producer unusable: start the next flush on a new one. */
  private async reset(): Promise<void> {
    const old = this.producer;
    this.producer = undefined;
    const p = await old?.catch(() => undefined);
    await p?.disconnect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    while (this.flushing || this.queue.length) {
      if (!this.flushing) await this.flush();
      else await new Promise((r) => setTimeout(r, 10));
    }
    await this.reset();
  }
}
