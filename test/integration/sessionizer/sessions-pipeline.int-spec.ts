import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import { readCsvEvents, topicNames, validateEvent } from '@clickstream/contracts';
import { deleteTopics, readWholeTopic, testKafka, uniqueName } from '../../support/kafka';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import {
  referenceSessions,
  refEvent,
  refSessionLine,
  storedSessionLine,
} from './reference-sessions';

const PARTITIONS = 3;
const SAMPLE = resolve(__dirname, '../../fixtures/rees46-2019-10-01-sample.csv');

describe('ingest → sessionizer → Postgres and clickstream.sessions.v1 (REES46 sample)', () => {
  const prefix = `${uniqueName('sessions')}.`;
  const topics = topicNames(prefix);
  const env = {
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    STREAMS_SESSION_TIMEOUT_MS: '6000',
  };
  let ingest: RunningService;
  let sessionizer: RunningService;
  let pool: Pool;

  beforeAll(async () => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    ingest = await startService('ingest', env);
    await waitForHttpOk(ingest, '/health/ready', 60_000);
    sessionizer = await startService('sessionizer', env);
    await waitForHttpOk(sessionizer, '/health/ready', 60_000);
  });

  afterAll(async () => {
    await Promise.all([ingest?.stop(), sessionizer?.stop()]);
    await pool.end();
    await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
  });

  it('open sessions appear with current values; once the watermark passes, each closes once on the topic', async () => {
    const csv = readFileSync(SAMPLE, 'utf8');
    const inputs: unknown[] = [];
    for await (const row of readCsvEvents(csv, 'rees46'))
      if ('input' in row) inputs.push(row.input);
    const ref = referenceSessions(
      inputs.map((i) => {
        const r = validateEvent(i, { now: Date.now() });
        if (!r.ok) throw new Error('fixture row invalid');
        return refEvent(r.event);
      }),
    );
    const users = [...new Set(ref.map((s) => s.user))];

    const res = await fetch(ingest.url('/v1/events'), {
      method: 'POST',
      body: JSON.stringify(inputs),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);

    // Open sessions are visible in Postgres with their current values.
    const rowsOf = async () =>
      (
        await pool.query<{
          user_id: string;
          started_at: Date;
          event_count: number;
          revenue: string;
          status: string;
          session_id: string;
        }>(
          `SELECT session_id, user_id, started_at, event_count, revenue, status FROM sessions WHERE user_id = ANY($1)`,
          [users],
        )
      ).rows;
    const total = ref.reduce((n, s) => n + s.count, 0);
    await waitFor(async () => (await rowsOf()).reduce((n, r) => n + r.event_count, 0) === total, {
      timeoutMs: 60_000,
      what: 'all events in open sessions',
    });
    const comparable = (rows: Awaited<ReturnType<typeof rowsOf>>) =>
      rows.map(storedSessionLine).sort();
    const expected = ref.map(refSessionLine).sort();
    const open = await rowsOf();
    expect(open.every((r) => r.status === 'open')).toBe(true);
    expect(comparable(open)).toEqual(expected);

    // Events a day later on every partition move every watermark past the sessions' ends.
    const clock = Array.from({ length: 60 }, (_, i) => ({
      event_time: '2019-10-02 00:00:00 UTC',
      event_type: 'view',
      user_id: `clock-${i}`,
    }));
    expect(
      (
        await fetch(ingest.url('/v1/events'), {
          method: 'POST',
          body: JSON.stringify(clock),
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(202);
    await waitFor(async () => (await rowsOf()).every((r) => r.status === 'closed'), {
      timeoutMs: 60_000,
      what: 'REES46 sessions closed',
    });
    expect(comparable(await rowsOf())).toEqual(expected);

    // Postgres has the closed rows before the outbox reaches Kafka: read the topic once it has.
    const outbox = async () =>
      Number(
        (
          await pool.query(`SELECT count(*) AS n FROM stream_outbox WHERE app_id = $1`, [
            `${prefix}clickstream-sessionizer`,
          ])
        ).rows[0].n,
      );
    await waitFor(async () => (await outbox()) === 0, {
      timeoutMs: 30_000,
      what: 'sessionizer outbox drained',
    });
    const published = (await readWholeTopic(testKafka(), topics.sessions, PARTITIONS)).map(
      (r) => JSON.parse(r.value!) as { session_id: string; user_id: string; status: string },
    );
    const mine = published.filter((s) => users.includes(s.user_id));
    expect(mine.length).toBe(ref.length);
    expect(new Set(mine.map((s) => s.session_id))).toEqual(
      new Set((await rowsOf()).map((r) => r.session_id)),
    );
    expect(mine.every((s) => s.status === 'closed')).toBe(true);
    expect(published.filter((s) => s.user_id.startsWith('clock-'))).toEqual([]);
  });
});
