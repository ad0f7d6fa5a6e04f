import { Pool } from 'pg';
import { ClickEventInput, topicNames, validateEvent } from '@clickstream/contracts';
import { generateTraffic } from '../../../tools/generate/traffic-generator';
import { deleteTopics, readWholeTopic, testKafka, uniqueName } from '../../support/kafka';
import { storedSessions } from '../../support/results';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { referenceSessions, refEvent } from './reference-sessions';

const PARTITIONS = 6;
const START = Date.UTC(2024, 0, 1, 10);

describe('sessionizer SIGKILLed twice mid-stream', () => {
  const prefix = `${uniqueName('sess-crash')}.`;
  const topics = topicNames(prefix);
  const appId = `${prefix}clickstream-sessionizer`;
  const env = {
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    STREAMS_SESSION_TIMEOUT_MS: '6000',
  };
  let ingest: RunningService;
  let proc: RunningService | undefined;
  let pool: Pool;

  beforeAll(async () => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    ingest = await startService('ingest', env);
    await waitForHttpOk(ingest, '/health/ready', 60_000);
  });

  afterAll(async () => {
    await Promise.all([ingest?.stop(), proc?.stop('SIGKILL')]);
    await pool.end();
    await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
  });

  it('gives exactly the reference sessions, each published once', async () => {
    // Deterministic generated traffic (several sessions per user, gaps around 30 min), shuffled within 60 s.
    const events: ClickEventInput[] = [
      ...generateTraffic({
        seed: 11,
        startTime: START,
        ratePerSecond: 10,
        count: 30_000,
        disorderMs: 60_000,
      }).events(),
    ];
    const ref = referenceSessions(
      events.map((i) => {
        const r = validateEvent(i, { now: Date.now() });
        if (!r.ok) throw new Error(`generated event invalid: ${JSON.stringify(r.errors)}`);
        return refEvent(r.event);
      }),
    );
    for (let i = 0; i < events.length; i += 2000) {
      const res = await fetch(ingest.url('/v1/events'), {
        method: 'POST',
        body: JSON.stringify(events.slice(i, i + 2000)),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(202);
    }
    // A day later on every partition: every watermark passes every session's end.
    const clock = Array.from({ length: 120 }, (_, i) => ({
      event_time: new Date(START + 3 * 86_400_000).toISOString(),
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
    // Offsets also count transaction markers, so progress is a little ahead of records; kills stay mid-stream.
    const total = events.length + clock.length;

    const progress = async () =>
      Number(
        (
          await pool.query<{ n: string | null }>(
            `SELECT sum(next_offset) AS n FROM stream_offsets WHERE group_id = $1`,
            [appId],
          )
        ).rows[0].n ?? 0,
      );
    proc = await startService('sessionizer', env);
    for (const fraction of [0.3, 0.65]) {
      await waitFor(async () => (await progress()) >= total * fraction, {
        timeoutMs: 120_000,
        intervalMs: 50,
        what: `sessionizer at ${fraction}`,
      });
      await proc.stop('SIGKILL');
      proc = await startService('sessionizer', env);
    }
    const users = [...new Set(ref.map((s) => s.user))];
    const rowsOf = () => storedSessions(pool, 'user_id = ANY($1)', [users]);
    let seen = '';
    await waitFor(
      async () => {
        const rows = await rowsOf();
        seen = `${rows.length} rows (${rows.filter((r) => r.status === 'closed').length} closed) of ${ref.length} expected`;
        return rows.length === ref.length && rows.every((r) => r.status === 'closed');
      },
      { timeoutMs: 60_000, what: 'all sessions closed' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${seen}; ${proc?.output().slice(-1500)}`);
    });
    await waitFor(
      async () =>
        Number(
          (await pool.query(`SELECT count(*) AS n FROM stream_outbox WHERE app_id = $1`, [appId]))
            .rows[0].n,
        ) === 0,
      { what: 'outbox drained' },
    );
    await proc.stop('SIGTERM');
    proc = undefined;

    const expected = ref.map((s) => `${s.user}@${s.start}#${s.count}$${s.revenueCents}`).sort();
    const rows = await rowsOf();
    expect(
      rows
        .map(
          (r) =>
            `${r.user_id}@${r.started_at.getTime()}#${r.event_count}$${Math.round(Number(r.revenue) * 100)}`,
        )
        .sort(),
    ).toEqual(expected);

    const published = (await readWholeTopic(testKafka(), topics.sessions, PARTITIONS)).map(
      (r) => JSON.parse(r.value!) as { session_id: string; user_id: string },
    );
    const mine = published.filter((s) => !s.user_id.startsWith('clock-'));
    expect(mine.length).toBe(ref.length); // no duplicate, none missing
    expect(new Set(mine.map((s) => s.session_id))).toEqual(new Set(rows.map((r) => r.session_id)));
  });
});
