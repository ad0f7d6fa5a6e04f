import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import {
  ConsumedRecord,
  createTopic,
  deleteTopics,
  testKafka,
  uniqueName,
} from '../../support/kafka';
export { readWholeTopic } from '../../support/kafka';
import { progress } from '../../support/results';
import { waitFor } from '../../support/wait-for';
import { prng } from '@clickstream/streams/testing';
import { Registry } from 'prom-client';
import { StreamsApp, StreamsAppOptions } from '@clickstream/streams';
import { DEDUPE_LOOKUP_SQL, readTextArrayParam } from '@clickstream/streams/internals';
import { counterTopology, CountEvent, TOTALS_DDL } from './counter-topology';

const ROOT = resolve(__dirname, '../../..');

export const BASE_TS = Date.UTC(2026, 0, 1);

/** Keyed events, slightly out of order (within the 5 s lateness), with a value to sum. */
export function makeEvents(count: number, users: number, seed: number): CountEvent[] {
  const rnd = prng(seed);
  return Array.from({ length: count }, (_, i) => ({
    user: `u${Math.floor(rnd() * users)}`,
    ts: BASE_TS + i * 20 + Math.floor(rnd() * 2000),
    n: i % 7,
  }));
}

export interface Expected {
  windows: Map<string, { count: number; sum: number }>;
  totals: Map<string, { events: number; total: number }>;
}

/** The straightforward reference computation the processor must match exactly. */
export function expectedFrom(events: CountEvent[]): Expected {
  const windows = new Map<string, { count: number; sum: number }>();
  const totals = new Map<string, { events: number; total: number }>();
  for (const e of events) {
    const start = e.ts - (e.ts % 60_000);
    const wk = `${e.user}@${start}`;
    const w = windows.get(wk) ?? { count: 0, sum: 0 };
    windows.set(wk, { count: w.count + 1, sum: w.sum + e.n });
    const t = totals.get(e.user) ?? { events: 0, total: 0 };
    totals.set(e.user, { events: t.events + 1, total: t.total + e.n });
  }
  return { windows, totals };
}

/** `partitions`: one far-future sentinel each after the events (0: none, the watermarks stay near the events). */
export async function produceEvents(
  kafka: Kafka,
  topic: string,
  events: CountEvent[],
  partitions: number,
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 10_000) {
      const chunk = events
        .slice(i, i + 10_000)
        .map((e) => ({ key: e.user, value: JSON.stringify(e) }));
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: chunk }] });
    }
    // One far-future sentinel per partition pushes every watermark past every window.
    const sentinels = Array.from({ length: partitions }, (_, p) => ({
      partition: p,
      key: `sentinel-${p}`,
      value: JSON.stringify({
        user: `sentinel-${p}`,
        ts: BASE_TS + 86_400_000,
        n: 0,
        sentinel: true,
      }),
    }));
    if (sentinels.length) await producer.send({ topic, acks: -1, messages: sentinels });
  } finally {
    await producer.disconnect();
  }
}

export interface Proc {
  child: ChildProcess;
  log(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function spawnProcessor(env: Record<string, string>): Proc {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(__dirname, 'counter-processor.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    log: () => out,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

// Records consumed by a processor's group: shared with the service-level specs (support/results).
export { progress };

export async function waitForProgress(
  pool: Pool,
  appId: string,
  atLeast: number,
  procs: Proc[],
  timeoutMs = 120_000,
): Promise<number> {
  return waitFor(
    async () => {
      for (const p of procs)
        if (p.child.exitCode !== null)
          throw new Error(`processor exited ${p.child.exitCode}: ${p.log().slice(-2000)}`);
      const done = await progress(pool, appId);
      return done >= atLeast ? done : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `${appId} progress >= ${atLeast}` },
  );
}

/** Waits until every outbox row of the app is confirmed on Kafka (the outbox table is empty). */
export async function waitForOutboxDrained(pool: Pool, appId: string): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM stream_outbox WHERE app_id = $1`,
        [appId],
      );
      return Number(rows[0].n) === 0;
    },
    { timeoutMs: 60_000, what: `${appId} outbox drained` },
  );
}

/** Output records as comparable "user@windowStart" -> {count, sum}, failing on any duplicate. */
export function windowsFromTopic(
  records: ConsumedRecord[],
): Map<string, { count: number; sum: number }> {
  const out = new Map<string, { count: number; sum: number }>();
  for (const r of records) {
    const v = JSON.parse(r.value!) as {
      key: string;
      window: { start: number };
      value: { count: number; sum: number };
    };
    const k = `${v.key}@${v.window.start}`;
    if (out.has(k)) throw new Error(`duplicate window result on the topic: ${k}`);
    out.set(k, v.value);
  }
  return out;
}

export async function totalsFromTable(
  pool: Pool,
  appId: string,
): Promise<Map<string, { events: number; total: number }>> {
  const { rows } = await pool.query<{ user_id: string; events: string; total: string }>(
    `SELECT user_id, events, total FROM test_counter_totals WHERE app_id = $1`,
    [appId],
  );
  return new Map(
    rows.map((r) => [r.user_id, { events: Number(r.events), total: Number(r.total) }]),
  );
}

/** A counter app of one test: unique app id and topics, the totals table, and cleanup. */
export async function setupCounterRun(prefix: string, partitions: number) {
  const kafka = testKafka();
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  const appId = uniqueName(`${prefix}-app`);
  const topics = {
    input: uniqueName(`${prefix}-in`),
    output: uniqueName(`${prefix}-out`),
    dlq: uniqueName(`${prefix}-dlq`),
    late: uniqueName(`${prefix}-late`),
  };
  await pool.query(TOTALS_DDL);
  await createTopic(kafka, topics.input, partitions);
  await createTopic(kafka, topics.output, partitions);
  await createTopic(kafka, topics.dlq, 1);
  await createTopic(kafka, topics.late, 1);
  const env: Record<string, string> = {
    APP_ID: appId,
    INPUT_TOPIC: topics.input,
    OUTPUT_TOPIC: topics.output,
    DLQ_TOPIC: topics.dlq,
    LATE_TOPIC: topics.late,
  };
  return {
    kafka,
    pool,
    appId,
    topics,
    env,
    async cleanup() {
      await pool.end();
      await deleteTopics(kafka, Object.values(topics));
    },
  };
}

export type CounterRun = Awaited<ReturnType<typeof setupCounterRun>>;

/**
 * The ids a statement asks the dedupe's store about, when it is the dedupe's lookup
 * (DEDUPE_LOOKUP_SQL, sent as a named query config); null for any other statement.
 */
export function dedupeLookupIds(query: unknown, params?: unknown[]): string[] | null {
  const config =
    typeof query === 'string'
      ? { text: query, values: params }
      : (query as { text?: unknown; values?: unknown[] });
  if (config.text !== DEDUPE_LOOKUP_SQL) return null;
  // The ids travel as a binary text[] (runtime/pg-array-param.ts).
  return readTextArrayParam((params ?? config.values ?? [])[1] as Buffer) as string[];
}

/**
 * `pool` with its `query` replaced (a fault or a probe: statements held back or noted); every other
 * member is the real pool's, bound to it.
 */
export function poolWithQuery(
  pool: Pool,
  query: (text: unknown, params?: unknown[]) => Promise<unknown>,
): Pool {
  return new Proxy(pool, {
    get: (target, prop) => {
      if (prop === 'query') return query;
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The counter app of a run in this process, with its own metrics registry, and `options` on top;
 * `dedupeHorizonMs` gives its source a dedupe of the events' ids.
 */
export function counterApp(
  run: CounterRun,
  registry: Registry,
  options: Partial<StreamsAppOptions> & { dedupeHorizonMs?: number },
): StreamsApp {
  const { dedupeHorizonMs, ...rest } = options;
  const { kafka, pool, appId, topics } = run;
  return new StreamsApp({
    topology: counterTopology(appId, topics, dedupeHorizonMs),
    kafka,
    pool,
    registry,
    lateTopic: topics.late,
    deadLetterTopic: topics.dlq,
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
    ...rest,
  });
}

/** A runtime logger that keeps every line as (level, message, context), for specs to assert on. */
export function recordingLogger() {
  const lines: Array<{ level: string; msg: string; ctx: Record<string, unknown> }> = [];
  const at = (level: string) => (ctx: object, msg: string) =>
    lines.push({ level, msg, ctx: ctx as Record<string, unknown> });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** A metric's total over the series whose labels include `labels`. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}
