import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { LibrdKafkaError, MessageHeader, Producer } from 'node-rdkafka';
import { ClickstreamError, KafkaClient, MetricsService } from '@clickstream/platform';
import { backoffMs } from '@clickstream/streams';
import { ingestConfig, IngestConfig } from '../ingest.config';
import {
  finishTransaction,
  KafkaOutcomeUnknownError,
  KafkaUnavailableError,
  librdkafkaCall as call,
  transactionCalls,
} from './kafka-transaction';

export { KafkaOutcomeUnknownError, KafkaUnavailableError };

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  value: string;
  /** Kafka headers; none when unset. */
  headers?: readonly MessageHeader[];
}

export class BacklogFullError extends ClickstreamError {
  constructor(backlog: number, limit: number) {
    super(`producer backlog full (${backlog} of ${limit} events)`, 'BACKLOG_FULL', true);
  }
}

/** The longest one transactional call (flush, commit, abort, init) may block. */
export const TRANSACTION_TIMEOUT_MS = 5_000;
/** Pauses between retries of a commit in doubt: capped exponential, full jitter. */
const COMMIT_RETRY_BASE_MS = 100;
const COMMIT_RETRY_MAX_MS = 2_000;
const commitRetryDelayMs = (attempt: number) =>
  backoffMs(attempt, COMMIT_RETRY_BASE_MS, COMMIT_RETRY_MAX_MS);

/** Why a request is refused while a commit is retried: it was never produced (so 503 is true). */
const commitInDoubtError = () => new KafkaUnavailableError(new Error('a Kafka commit is in doubt'));

/**
 * Disconnects without waiting longer than a commit would (a dead broker must not hang a reset). A
 * producer whose connect() failed was closed by node-rdkafka already (its disconnect would throw).
 */
function disconnect(producer: Producer): Promise<void> {
  if (!producer.isConnected()) return Promise.resolve();
  return new Promise((resolve) => producer.disconnect(TRANSACTION_TIMEOUT_MS, () => resolve()));
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
 * half-acknowledged. A 503 answer means nothing was committed (a retry cannot duplicate anything);
 * a commit whose answer is lost is retried until Kafka says, and only past INGEST_COMMIT_DEADLINE_MS
 * is it answered 504 (outcome unknown). While a commit is in doubt, new requests get 503 at once.
 */
@Injectable()
export class EventProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EventProducer.name);
  private producer?: Promise<Producer>;
  private queue: Pending[] = [];
  private queuedEvents = 0;
  private inFlightEvents = 0;
  private flushing = false;
  /** Set while a commit is retried: Kafka is not answering, so new requests are refused at once. */
  private inDoubt = false;
  private timer?: NodeJS.Timeout;
  private readonly produceDuration;
  private readonly commitRetries;
  private readonly abortFailures;

  constructor(
    private readonly kafka: KafkaClient,
    @Inject(ingestConfig.KEY) private readonly config: IngestConfig,
    metrics: MetricsService,
  ) {
    const backlog = () => this.queuedEvents + this.inFlightEvents;
    metrics.gauge({
      name: 'ingest_backlog_events',
      help: 'Events waiting for or in a Kafka flush.',
      // Read on scrape, so requests and flushes do not update a gauge on the hot path.
      collect() {
        this.set(backlog());
      },
    });
    this.produceDuration = metrics.histogram({
      name: 'ingest_produce_duration_seconds',
      help: 'Duration of one coalesced Kafka transaction (send + commit).',
      labelNames: ['outcome'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
    this.commitRetries = metrics.counter({
      name: 'ingest_commit_retries_total',
      help: 'Retries of a Kafka commit that timed out with its outcome in doubt.',
    });
    this.abortFailures = metrics.counter({
      name: 'ingest_kafka_abort_failures_total',
      help: 'Kafka transaction aborts that failed (the next producer aborts what they left).',
    });
  }

  onModuleInit(): void {
    // Connect eagerly but do not block boot on Kafka: readiness reports it, sends retry it.
    void this.connected().catch((err: Error) =>
      this.logger.warn({ msg: 'kafka producer not connected yet', err: err.message }),
    );
  }

  private connected(): Promise<Producer> {
    this.producer ??= this.connect().catch((err) => {
      this.producer = undefined;
      throw err;
    });
    return this.producer;
  }

  /**
   * librdkafka, not kafkajs, on this one hot path: it partitions, batches, encodes and checksums in
   * its own C threads, ~3.4 µs of CPU per event where kafkajs took ~13 µs on the main thread
   * (`npm run bench:producers`), the difference between ~45k and 100k events/s on 2 cores
   * (BENCHMARKS.md). The processors keep kafkajs.
   */
  private async connect(): Promise<Producer> {
    const { brokers, clientId, connectionTimeoutMs } = this.kafka.config;
    const producer = new Producer(
      {
        'metadata.broker.list': brokers.join(','),
        'client.id': `${clientId}-ingest`,
        // One per process; a new producer after a failed flush fences the old one (same id).
        'transactional.id': `clickstream-ingest-${hostname()}-${process.pid}`,
        'enable.idempotence': true, // implies acks=all
        // Requests are coalesced here already, and the commit sends what is queued.
        'linger.ms': 1,
        'batch.num.messages': 10_000,
        'queue.buffering.max.messages': Math.max(100_000, this.config.maxBacklogEvents),
        'queue.buffering.max.kbytes': 1_048_576,
        'socket.connection.setup.timeout.ms': connectionTimeoutMs,
        dr_cb: false,
      },
      {
        // murmur2 of the key, as Java clients: a user's events land on the partition any client expects.
        partitioner: 'murmur2_random',
      },
    );
    producer.on('event.error', (err: LibrdKafkaError) =>
      this.logger.warn({ msg: 'kafka producer error', err: err.message, code: err.code }),
    );
    try {
      await new Promise<void>((resolve, reject) =>
        producer.connect({ timeout: connectionTimeoutMs }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      await call((cb) => producer.initTransactions(TRANSACTION_TIMEOUT_MS, cb));
    } catch (err) {
      await disconnect(producer);
      throw err;
    }
    return producer;
  }

  /** Resolves once Kafka acknowledged every message (acks=all, committed transaction). */
  send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (this.inDoubt) return Promise.reject(commitInDoubtError());
    const backlog = this.queuedEvents + this.inFlightEvents;
    if (backlog + messages.length > this.config.maxBacklogEvents) {
      return Promise.reject(new BacklogFullError(backlog, this.config.maxBacklogEvents));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      this.queuedEvents += messages.length;
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
    while (
      this.queue.length &&
      (batch.length === 0 || n + this.queue[0].messages.length <= this.config.maxFlushEvents)
    ) {
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
    const observeDuration = this.produceDuration.startTimer();
    try {
      await this.produce(batch);
      observeDuration({ outcome: 'ok' });
      for (const p of batch) p.resolve();
    } catch (err) {
      const unknown = err instanceof KafkaOutcomeUnknownError;
      observeDuration({ outcome: unknown ? 'unknown' : 'failed' });
      const fields = { events: this.inFlightEvents, code: (err as ClickstreamError).code };
      if (unknown)
        this.logger.error({ msg: 'kafka commit outcome unknown', ...fields, err: err.message });
      else this.logger.warn({ msg: 'kafka flush failed', ...fields, err: (err as Error).message });
      await this.reset();
      const error =
        unknown || err instanceof KafkaUnavailableError ? err : new KafkaUnavailableError(err);
      for (const p of batch) p.reject(error);
    } finally {
      this.inFlightEvents = 0;
      this.inDoubt = false;
      this.flushing = false;
      if (this.queue.length) this.schedule();
    }
  }

  private async produce(batch: Pending[]): Promise<void> {
    const producer = await this.connected();
    await call((cb) => producer.beginTransaction(cb));
    try {
      // produce() only queues (no await per event); the flush and the commit wait for every ack.
      for (const p of batch) {
        for (const m of p.messages)
          producer.produce(
            m.topic,
            null,
            Buffer.from(m.value),
            m.key,
            undefined,
            undefined,
            m.headers as MessageHeader[] | undefined,
          );
      }
    } catch (err) {
      await call((cb) => producer.abortTransaction(TRANSACTION_TIMEOUT_MS, cb)).catch((e) =>
        this.abortFailed(e as Error),
      );
      throw err;
    }
    await finishTransaction(transactionCalls(producer), {
      attemptTimeoutMs: TRANSACTION_TIMEOUT_MS,
      deadlineMs: this.config.commitDeadlineMs,
      delayMs: commitRetryDelayMs,
      onRetry: (attempt, err, elapsedMs) => this.commitInDoubt(attempt, err, elapsedMs),
      onAbortFailed: (err) => this.abortFailed(err),
    });
  }

  /** The next producer's initTransactions aborts what a failed abort left open. */
  private abortFailed(err: Error): void {
    this.abortFailures.inc();
    this.logger.warn({ msg: 'kafka abort failed', events: this.inFlightEvents, err: err.message });
  }

  /** A commit timed out: it goes on in the background, so it is retried, and nothing new waits. */
  private commitInDoubt(attempt: number, err: Error, elapsedMs: number): void {
    this.commitRetries.inc();
    this.logger.warn({
      msg: 'kafka commit in doubt, retrying',
      attempt,
      elapsedMs,
      events: this.inFlightEvents,
      err: err.message,
    });
    if (this.inDoubt) return;
    this.inDoubt = true;
    // Queued requests were never produced: refusing them now (503) is true and frees their clients.
    const refused = this.queue;
    this.queue = [];
    this.queuedEvents = 0;
    const error = commitInDoubtError();
    for (const p of refused) p.reject(error);
  }

  /**
   * A failed transaction can leave the producer unusable: the next flush starts on a new one, whose
   * initTransactions fences this one and aborts whatever it left open.
   */
  private async reset(): Promise<void> {
    const old = this.producer;
    this.producer = undefined;
    const p = await old?.catch(() => undefined);
    if (p) await disconnect(p);
  }

  async onApplicationShutdown(): Promise<void> {
    while (this.flushing || this.queue.length) {
      if (!this.flushing) await this.flush();
      else await new Promise((r) => setTimeout(r, 10));
    }
    await this.reset();
  }
}
