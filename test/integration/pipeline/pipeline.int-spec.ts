import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import {
  AggregateRecord,
  aggregateRecordSchema,
  ClickEvent,
  ClickEventInput,
  clickEventSchema,
  deadLetterRecordSchema,
  lateEventRecordSchema,
  readCsvEvents,
  sessionRow,
  topicNames,
  TopicNames,
  validateEvent,
} from '@clickstream/contracts';
import { generateTraffic } from '../../../tools/generate/traffic-generator';
import {
  ConsumedRecord,
  deleteTopics,
  readTopic,
  readWholeTopic,
  testKafka,
  uniqueName,
} from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import {
  finalUntilBySize,
  mergedWindows,
  outboxDrained,
  storedSessions,
} from '../../support/results';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import {
  referenceSessions,
  refEvent,
  refSessionLine,
  storedSessionLine,
} from '../sessionizer/reference-sessions';
import { conversion, emptyMinutes, referenceWindows, SIZES, windowKey } from './reference-windows';

const PARTITIONS = 6;
const SAMPLE = resolve(__dirname, '../../fixtures/rees46-2019-10-01-sample.csv');
const START = Date.UTC(2024, 0, 1, 10);
const CLOCK_TIME = START + 3 * 86_400_000;
const PROCESSORS = ['sessionizer', 'aggregator'] as const;

interface Input {
  /** Bodies in sending order: the REES46 sample first (older), then generated traffic. */
  bodies: unknown[][];
  events: ClickEvent[];
}

async function buildInput(): Promise<Input> {
  const rees: unknown[] = [];
  for await (const row of readCsvEvents(readFileSync(SAMPLE, 'utf8'), 'rees46'))
    if ('input' in row) rees.push(row.input);
  // Deterministic generated traffic shuffled within 60 s (the allowed lateness is 2 min).
  const generated: ClickEventInput[] = [
    ...generateTraffic({
      seed: 23,
      startTime: START,
      ratePerSecond: 10,
      count: 50_000,
      disorderMs: 60_000,
    }).events(),
  ];
  const bodies: unknown[][] = [rees];
  for (let i = 0; i < generated.length; i += 2500) bodies.push(generated.slice(i, i + 2500));
  const events = [...rees, ...generated].map((i) => {
    const r = validateEvent(i, { now: Date.now() });
    if (!r.ok) throw new Error(`input event invalid: ${JSON.stringify(r.errors)}`);
    return r.event;
  });
  return { bodies, events };
}

/** Events days later on every partition: every watermark passes every window and session of the input. */
const clockEvents = () =>
  Array.from({ length: 120 }, (_, i) => ({
    event_time: new Date(CLOCK_TIME).toISOString(),
    event_type: 'page_view',
    user_id: `clock-${i}`,
  }));

describe('ingest → 2 sessionizers + 2 aggregators (REES46 sample + 50,000 generated events, 6 partitions)', () => {
  let input: Input;

  beforeAll(async () => {
    input = await buildInput();
  });

  it('sessions and windows equal the reference computation', async () => {
    await runPipeline(input, { kills: [] });
  });

  it('gives identical results with each processor SIGKILLed twice mid-stream, and no duplicate record', async () => {
    await runPipeline(input, { kills: [0.3, 0.65] });
  });
});

async function runPipeline(input: Input, o: { kills: number[] }): Promise<void> {
  const prefix = `${uniqueName('pipeline')}.`;
  const topics = topicNames(prefix);
  const db = await createMigratedDatabase('clickstream_pipeline');
  const env = {
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    STREAMS_SESSION_TIMEOUT_MS: '6000',
    DATABASE_URL: db.url,
  };
  const running: RunningService[] = [];
  const instances = new Map<string, RunningService[]>();
  const start = async (name: string) => {
    const svc = await startService(name, env);
    running.push(svc);
    return svc;
  };
  try {
    const ingest = await start('ingest');
    await waitForHttpOk(ingest, '/health/ready', 60_000);
    for (const body of [...input.bodies, clockEvents()]) {
      const res = await fetch(ingest.url('/v1/events'), {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(202);
    }
    for (const name of PROCESSORS) instances.set(name, [await start(name), await start(name)]);

    const total = input.events.length + 120;
    for (const fraction of o.kills) {
      for (const name of PROCESSORS) {
        await waitFor(
          async () => (await progress(db.pool, `${prefix}clickstream-${name}`)) >= total * fraction,
          {
            timeoutMs: 120_000,
            intervalMs: 50,
            what: `${name} at ${fraction}`,
          },
        );
        const list = instances.get(name)!;
        const victim = list[o.kills.indexOf(fraction) % 2];
        await victim.stop('SIGKILL');
        list[list.indexOf(victim)] = await start(name);
      }
    }

    await expectSessions(db.pool, input, topics.sessions, `${prefix}clickstream-sessionizer`);
    await expectWindows(db.pool, input, topics.aggregates, `${prefix}clickstream-aggregator`);
    await expectInputTopics(topics, input.events.length + clockEvents().length);
  } finally {
    await Promise.all(running.map((s) => s.stop('SIGKILL')));
    await db.drop().catch(() => undefined);
    await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
  }
}

const progress = async (pool: Pool, group: string) =>
  Number(
    (
      await pool.query<{ n: string | null }>(
        `SELECT sum(next_offset) AS n FROM stream_offsets WHERE group_id = $1`,
        [group],
      )
    ).rows[0].n ?? 0,
  );

/**
 * The other topics hold their contracts' records: every event ingest accepted, each once, as the
 * event contract reads it; no late record and no dead letter (the input is in order and valid).
 * The events topic is read up to the accepted count: an end marker there would reach the
 * processors, which still run.
 */
async function expectInputTopics(topics: TopicNames, accepted: number): Promise<void> {
  const parse = <T>(records: ConsumedRecord[], schema: { parse: (value: unknown) => T }) =>
    records.map((r) => schema.parse(JSON.parse(r.value!)));
  const stored = await readTopic(testKafka(), topics.events, (r) => r.length >= accepted, 120_000);
  const events = parse(stored, clickEventSchema);
  expect(new Set(events.map((e) => e.event_id)).size).toBe(accepted);
  const whole = (topic: string) => readWholeTopic(testKafka(), topic, PARTITIONS);
  expect(parse(await whole(topics.late), lateEventRecordSchema)).toEqual([]);
  expect(parse(await whole(topics.eventsDlq), deadLetterRecordSchema)).toEqual([]);
}

async function expectSessions(
  pool: Pool,
  input: Input,
  topic: string,
  appId: string,
): Promise<void> {
  const ref = referenceSessions(input.events.map(refEvent));
  const rowsOf = () => storedSessions(pool, `user_id NOT LIKE 'clock-%'`);
  await waitFor(
    async () => {
      const rows = await rowsOf();
      return rows.length === ref.length && rows.every((r) => r.status === 'closed');
    },
    { timeoutMs: 120_000, what: 'all sessions closed' },
  );
  await waitFor(() => outboxDrained(pool, appId), { what: 'sessionizer outbox drained' });
  const rows = await rowsOf();
  expect(rows.map(storedSessionLine).sort()).toEqual(ref.map(refSessionLine).sort());
  // Every session record on the topic is the contract's session row (strict: no field more or less).
  const published = (await readWholeTopic(testKafka(), topic, PARTITIONS)).map((r) =>
    sessionRow.schema.parse(JSON.parse(r.value!)),
  );
  const mine = published.filter((s) => !s.user_id.startsWith('clock-'));
  expect(mine.length).toBe(ref.length); // none twice, none missing
  expect(new Set(mine.map((s) => s.session_id))).toEqual(new Set(rows.map((r) => r.session_id)));
}

async function expectWindows(
  pool: Pool,
  input: Input,
  topic: string,
  appId: string,
): Promise<void> {
  const ref = referenceWindows(input.events);
  const empties = emptyMinutes(ref);
  // The clock events' own windows stay open; every window before them is final.
  const finalUntil = (ms: number) => Math.floor((CLOCK_TIME - 2 * 60_000) / ms) * ms;
  await waitFor(
    async () => {
      const final = await finalUntilBySize(pool);
      return SIZES.every(([size, ms]) => final.get(size) === finalUntil(ms));
    },
    { timeoutMs: 120_000, what: 'every input window final' },
  );
  await waitFor(() => outboxDrained(pool, appId), { what: 'aggregator outbox drained' });

  // Postgres: partial rows merged over partitions equal the reference (exact; unique users within 2 %).
  const rows = await mergedWindows(
    pool,
    `window_start < to_timestamp($1 / 1000.0) - interval '1 hour'`,
    [CLOCK_TIME],
  );
  const stored = new Map(
    rows.map((r) => [windowKey(r.window_size, r.dimension, Number(r.start_ms)), r]),
  );
  expect(stored.size).toBe(ref.size + empties.length);
  for (const [k, w] of ref) {
    const r = stored.get(k);
    expect({
      k,
      events: Number(r?.events),
      purchases: Number(r?.purchases),
      cents: Math.round(Number(r?.revenue) * 100),
      views: Number(r?.views),
      carts: Number(r?.carts),
    }).toEqual({
      k,
      events: w.events,
      purchases: w.purchases,
      cents: w.cents,
      views: w.views,
      carts: w.carts,
    });
    expect(Math.abs(Number(r!.unique_users) - w.users.size)).toBeLessThanOrEqual(
      Math.ceil(w.users.size * 0.02),
    );
  }

  // The topic: every final window once, equal to the reference; the empty `all` minutes as 0.
  // Every record satisfies the contract consumers build on.
  const published = (await readWholeTopic(testKafka(), topic, PARTITIONS)).map((r) => ({
    key: r.key,
    partition: r.partition,
    offset: BigInt(r.offset),
    v: aggregateRecordSchema.parse(JSON.parse(r.value!)) as AggregateRecord,
  }));
  // Each partition in window-end order, whatever the size: a consumer's watermark on this topic
  // (the fraud-detector's) then never sees a final window behind one it already read.
  const backwards = [...Array(PARTITIONS).keys()].flatMap((partition) => {
    const inOrder = published
      .filter((p) => p.partition === partition)
      .sort((a, b) => (a.offset < b.offset ? -1 : 1));
    return inOrder
      .slice(1)
      .filter((p, i) => p.v.window_end < inOrder[i].v.window_end)
      .map((p) => `${partition}@${p.offset}: ${p.key} ends ${p.v.window_end}`);
  });
  expect(backwards.slice(0, 5)).toEqual([]);
  const mine = published.filter((p) => Date.parse(p.v.window_start) < CLOCK_TIME - 3_600_000);
  const keys = mine.map((p) =>
    windowKey(p.v.window_size, p.v.dimension, Date.parse(p.v.window_start)),
  );
  expect(new Set(keys).size).toBe(keys.length); // no duplicate
  expect(keys.length).toBe(ref.size + empties.length);
  for (const { key, v } of mine) {
    expect(key).toBe(`${v.window_size}:${v.dimension}`);
    expect(v.final).toBe(true);
    const w = ref.get(windowKey(v.window_size, v.dimension, Date.parse(v.window_start)));
    if (!w) {
      expect(v).toMatchObject({
        window_size: '1m',
        dimension: 'all',
        events: 0,
        unique_users: 0,
        conversion_rate: 0,
      });
      expect(empties).toContain(Date.parse(v.window_start));
      continue;
    }
    expect({
      events: v.events,
      purchases: v.purchases,
      cents: Math.round(v.revenue * 100),
      views: v.views,
      carts: v.carts,
      cr: v.conversion_rate,
    }).toEqual({
      events: w.events,
      purchases: w.purchases,
      cents: w.cents,
      views: w.views,
      carts: w.carts,
      cr: conversion(w.purchases, w.views),
    });
    expect(Math.abs(v.unique_users - w.users.size)).toBeLessThanOrEqual(
      Math.ceil(w.users.size * 0.02),
    );
  }
}
