import { performance } from 'node:perf_hooks';
import { Kafka } from 'kafkajs';
import { sleep } from './format';
import { machineBusy, machineCpu } from './machine-cpu';
import type { BenchEvent } from './workload';

export interface RawResult {
  /** Events/s from the first batch to the last record. */
  rate: number;
  elapsedMs: number;
  /** Connect and group join, before the first batch. */
  joinMs: number;
  batches: number;
  cpuMs: number;
  machine: string;
}

/** A fresh group reads the topic from the beginning and JSON.parses every value. */
export async function rawConsume(
  kafka: Kafka,
  topic: string,
  groupId: string,
  expected: number,
  maxBytes: number,
  timeoutS: number,
): Promise<RawResult> {
  const consumer = kafka.consumer({
    groupId,
    maxBytesPerPartition: maxBytes,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const started = performance.now();
  let first = 0;
  let firstCpu = process.cpuUsage();
  let firstMachine = machineCpu();
  let result: Omit<RawResult, 'rate' | 'joinMs' | 'batches'> | undefined;
  let count = 0;
  let batches = 0;
  let checksum = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`raw consumer timed out with ${count}/${expected}`)),
        timeoutS * 1000,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (first === 0) {
              first = performance.now();
              firstCpu = process.cpuUsage();
              firstMachine = machineCpu();
            }
            batches++;
            for (const message of batch.messages) {
              const event = JSON.parse(message.value!.toString('utf8')) as BenchEvent;
              checksum += event.n;
              count++;
            }
            if (count < expected || result) return;
            const cpu = process.cpuUsage(firstCpu);
            result = {
              elapsedMs: performance.now() - first,
              cpuMs: (cpu.user + cpu.system) / 1000,
              machine: machineBusy(firstMachine, machineCpu()),
            };
            clearTimeout(timer);
            resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  // Uses what was parsed, so the parse is not optimised away.
  if (checksum < 0 || !result) throw new Error('unreachable');
  return {
    ...result,
    rate: expected / (result.elapsedMs / 1000),
    joinMs: first - started,
    batches,
  };
}

export interface WindowValue {
  count: number;
  sum: number;
}

/** Reads the output topic (read_committed) until `expected` records arrived and 1 s passed quietly. */
export async function readOutput(
  kafka: Kafka,
  topic: string,
  groupId: string,
  expected: number,
): Promise<Map<string, WindowValue[]>> {
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const got = new Map<string, WindowValue[]>();
  let count = 0;
  let lastAt = performance.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const record = JSON.parse(message.value!.toString('utf8')) as {
            key: string;
            window: { start: number };
            value: WindowValue;
          };
          const key = `${record.key}@${record.window.start}`;
          got.set(key, [...(got.get(key) ?? []), record.value]);
          count++;
        }
        lastAt = performance.now();
      },
    });
    const deadline = performance.now() + 60_000;
    while (count < expected || performance.now() - lastAt < 1000) {
      if (performance.now() > deadline)
        throw new Error(`output check: read ${count} of ${expected} records in 60 s`);
      await sleep(100);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return got;
}

/** Every expected window read back exactly once with the right count and sum; throws otherwise. */
export async function verifyOutput(
  kafka: Kafka,
  topic: string,
  groupId: string,
  expected: Map<string, WindowValue>,
  windowsOut: number,
): Promise<string> {
  if (windowsOut !== expected.size)
    throw new Error(`streams emitted ${windowsOut} windows, expected ${expected.size}`);
  const got = await readOutput(kafka, topic, groupId, expected.size);
  let bad = 0;
  for (const [key, want] of expected) {
    const values = got.get(key);
    if (
      !values ||
      values.length !== 1 ||
      values[0].count !== want.count ||
      values[0].sum !== want.sum
    )
      bad++;
  }
  if (bad || got.size !== expected.size) {
    throw new Error(
      `output check failed: ${bad} wrong or missing of ${expected.size}, ${got.size} distinct keys read`,
    );
  }
  return `ok: ${expected.size.toLocaleString('en-US')} windows read back (read_committed), each exactly once with the expected count and sum`;
}
