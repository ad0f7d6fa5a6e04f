/**
 * The raw-consume baseline of the processor benchmarks: read a topic from the beginning and
 * JSON.parse every value, timed from the first record to the last. bench:pipeline compares each
 * processor with it; bench:consumers compares the clients with each other.
 */
import { performance } from 'node:perf_hooks';
import { Kafka } from 'kafkajs';
import { withTimeout } from '@clickstream/streams';

export interface ReadResult {
  elapsedMs: number;
  /** User + system CPU of the whole process (every thread) from the first record to the last. */
  cpuMs: number;
  /** The main thread's busy time over the same span (event-loop utilisation). */
  mainThreadMs: number;
}

/** Marks the start at the first record and the end at the expected count; parses every value. */
export class ReadTimer {
  private count = 0;
  private checksum = 0;
  private startedAt = 0;
  private cpu0 = process.cpuUsage();
  private elu0 = performance.eventLoopUtilization();
  result: ReadResult | undefined;

  constructor(private readonly expected: number) {}

  /** Counts and parses the values of one batch; true once every record was read. */
  read(values: Array<Buffer | null | undefined>): boolean {
    if (this.startedAt === 0) {
      this.startedAt = performance.now();
      this.cpu0 = process.cpuUsage();
      this.elu0 = performance.eventLoopUtilization();
    }
    for (const value of values) {
      this.checksum += (JSON.parse(value!.toString('utf8')) as { price?: number }).price ?? 1;
      this.count++;
    }
    if (this.count < this.expected || this.result) return this.result !== undefined;
    const cpu = process.cpuUsage(this.cpu0);
    const elu = performance.eventLoopUtilization(this.elu0);
    // Uses what was parsed, so the parse is not optimised away.
    if (this.checksum < 0) throw new Error('unreachable');
    this.result = {
      elapsedMs: performance.now() - this.startedAt,
      cpuMs: (cpu.user + cpu.system) / 1000,
      mainThreadMs: elu.active,
    };
    return true;
  }

  /** Waits at most `seconds` for `reading`; the error says how far the read got. */
  within(reading: Promise<void>, seconds: number, what: string): Promise<ReadResult> {
    return withTimeout(reading, seconds * 1000, what).then(
      () => this.result!,
      (err: Error) => {
        throw new Error(`${err.message} (${this.count} of ${this.expected} records read)`);
      },
    );
  }
}

export interface RawReadOptions {
  expected: number;
  maxBytesPerPartition: number;
  timeoutS: number;
}

/** kafkajs as the runtime configures it (streams-app.ts): eachBatch, read_committed, no commits. */
export async function readWithKafkajs(
  kafka: Kafka,
  topic: string,
  groupId: string,
  options: RawReadOptions,
): Promise<ReadResult> {
  const consumer = kafka.consumer({
    groupId,
    maxBytesPerPartition: options.maxBytesPerPartition,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const timer = new ReadTimer(options.expected);
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const reading = new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (timer.read(batch.messages.map((m) => m.value))) resolve();
          },
        })
        .catch(reject);
    });
    return await timer.within(reading, options.timeoutS, 'kafkajs read');
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
