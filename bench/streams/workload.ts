import { performance } from 'node:perf_hooks';
import { Admin, Kafka, Partitioners } from 'kafkajs';
import { prng } from '@clickstream/streams/testing';
import { fmt, log, ms } from './format';
import type { StreamsBenchArgs } from './options';

/** What the benchmark produces: ~150 bytes of JSON keyed by user, event time increasing. */
export interface BenchEvent {
  user: string;
  ts: number;
  n: number;
  pad: string;
}

export const BASE_TS = Date.UTC(2026, 0, 1);
export const TARGET_BYTES = 150;

export function makeEvent(index: number, user: string, stepMs: number): string {
  const event: BenchEvent = {
    user,
    ts: BASE_TS + Math.floor(index * stepMs),
    n: index % 7,
    pad: '',
  };
  const bare = JSON.stringify(event).length;
  event.pad = 'x'.repeat(Math.max(0, TARGET_BYTES - bare));
  return JSON.stringify(event);
}

interface WindowTotal {
  count: number;
  sum: number;
}

/** Per partition: what the topology must emit (closed 1 min windows per user), for the check. */
export class Expectation {
  private readonly windows: Array<Map<string, WindowTotal & { end: number }>>;
  private readonly maxTs: number[];

  constructor(
    partitions: number,
    private readonly latenessMs: number,
  ) {
    this.windows = Array.from({ length: partitions }, () => new Map());
    this.maxTs = Array.from({ length: partitions }, () => -Infinity);
  }

  add(partition: number, user: string, ts: number, n: number): void {
    const start = ts - (ts % 60_000);
    const key = `${user}@${start}`;
    const window = this.windows[partition].get(key) ?? { count: 0, sum: 0, end: start + 60_000 };
    window.count++;
    window.sum += n;
    this.windows[partition].set(key, window);
    this.maxTs[partition] = Math.max(this.maxTs[partition], ts);
  }

  /** Windows the watermark (max event time - lateness) has closed, by `user@start`. */
  closed(): Map<string, WindowTotal> {
    const out = new Map<string, WindowTotal>();
    this.windows.forEach((windows, partition) => {
      const watermark = this.maxTs[partition] - this.latenessMs;
      for (const [key, window] of windows) {
        if (window.end <= watermark) out.set(key, { count: window.count, sum: window.sum });
      }
    });
    return out;
  }
}

/**
 * Produces the events to `topic`, each to the partition kafkajs' default partitioner picks for its
 * key (set explicitly, so the expected output per partition is known); returns that expectation.
 */
export async function produce(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  args: StreamsBenchArgs,
  latenessMs: number,
): Promise<Expectation> {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: args.partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const expectation = new Expectation(args.partitions, latenessMs);
  const random = prng(42);
  const users = Array.from({ length: args.users }, (_, i) => `user-${String(i).padStart(5, '0')}`);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let bytes = 0;
  const started = performance.now();
  for (let first = 0; first < args.events; first += args.produceChunk) {
    const messages: Array<{ key: string; value: string; partition: number }> = [];
    for (let index = first; index < Math.min(args.events, first + args.produceChunk); index++) {
      const user = users[Math.floor(random() * users.length)];
      const value = makeEvent(index, user, args.stepMs);
      const partition = partitioner({ topic, partitionMetadata, message: { key: user, value } });
      expectation.add(partition, user, BASE_TS + Math.floor(index * args.stepMs), index % 7);
      bytes += value.length;
      messages.push({ key: user, value, partition });
    }
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
  }
  const produceMs = performance.now() - started;
  await producer.disconnect();
  await checkOnTopic(admin, topic, args.events);
  log(
    `produce:   ${fmt(args.events)} events (avg ${(bytes / args.events).toFixed(0)} B) in ${ms(produceMs)} = ${fmt(args.events / (produceMs / 1000))} events/s ` +
      `(sendBatch x${fmt(args.produceChunk)}, acks=all, includes generating the events)`,
  );
  return expectation;
}

async function checkOnTopic(admin: Admin, topic: string, expected: number): Promise<void> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const onTopic = offsets.reduce(
    (sum, partition) => sum + Number(partition.high) - Number(partition.low),
    0,
  );
  if (onTopic !== expected) throw new Error(`topic holds ${onTopic} records, expected ${expected}`);
}
