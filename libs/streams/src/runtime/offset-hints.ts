import { Consumer } from 'kafkajs';
import { Counter } from 'prom-client';
import { StreamsLogger } from './logger';

export interface OffsetHintsDeps {
  consumer: () => Consumer | undefined;
  /** Whether this instance owns the partition now: a hint for a partition given away is dropped. */
  owns: (topic: string, partition: number) => boolean;
  /** At most one request per interval. */
  intervalMs: number;
  processor: string;
  logger: StreamsLogger;
  failures: Counter<'processor'>;
}

interface Hint {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The group's offsets on Kafka, a hint for lag tools (kafka-consumer-groups, KEDA's Kafka scaler):
 * a task's offset is committed in Postgres with its results, and that is what a restart reads. The
 * latest offset of each partition goes out at most once per interval, all partitions in one
 * request (as Kafka's auto.commit.interval.ms), and no commit waits for it. One OffsetCommit per
 * task commit was a fifth of the broker's requests at 2,000 events/s (BENCHMARKS.md, 2026-12-05).
 */
export class OffsetHints {
  private pending = new Map<string, Hint>();
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly deps: OffsetHintsDeps) {}

  /** The partition's committed offset, to be sent with the next request. */
  note(topic: string, partition: number, offset: string): void {
    this.pending.set(`${topic}-${partition}`, { topic, partition, offset });
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  /** Sends what is pending, after a request still in flight (so hints never overtake). Never rejects. */
  flush(): Promise<void> {
    this.sending = this.sending.then(() => this.send());
    return this.sending;
  }

  /** Drops what is pending and stops the timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private async send(): Promise<void> {
    const hints = [...this.pending.values()].filter((h) => this.deps.owns(h.topic, h.partition));
    this.pending.clear();
    const consumer = this.deps.consumer();
    if (hints.length === 0 || !consumer) return;
    try {
      await consumer.commitOffsets(hints);
    } catch (err) {
      // A rebalance in progress or a broker away: the next hint carries a later offset anyway.
      this.deps.failures.inc({ processor: this.deps.processor });
      this.deps.logger.warn(
        { processor: this.deps.processor, partitions: hints.length, err: (err as Error).message },
        'kafka offset hint not committed',
      );
    }
  }
}
