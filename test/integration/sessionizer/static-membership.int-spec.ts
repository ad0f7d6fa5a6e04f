import { Pool } from 'pg';
import { ClickEventInput, topicNames, validateEvent } from '@clickstream/contracts';
import { generateTraffic } from '../../../tools/generate/traffic-generator';
import { deleteTopics, readWholeTopic, testKafka, uniqueName } from '../../support/kafka';
import { storedSessions } from '../../support/results';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { referenceSessions, refEvent } from './reference-sessions';

const PARTITIONS = 6;
const START = Date.UTC(2024, 0, 2, 10);
// Far longer than a restart takes: a dynamic member's restart would wait this long for its partitions.
const SESSION_TIMEOUT_MS = 60_000;
// What a restart with the same group instance id may take to process again (a node boot, the
// join, the tasks' restore), on a loaded CI machine.
const BACK_WITHIN_MS = 25_000;

/** Sends events through ingest's API, 2,000 per request. */
async function send(ingest: RunningService, events: unknown[]): Promise<void> {
  for (let i = 0; i < events.length; i += 2000) {
    const res = await fetch(ingest.url('/v1/events'), {
      method: 'POST',
      body: JSON.stringify(events.slice(i, i + 2000)),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);
  }
}

/** How many partitions the service's last 'partitions assigned' line lists (-1: none yet). */
function lastAssignment(output: string): number {
  const lines = output.split('\n').filter((l) => l.includes('"partitions assigned"'));
  if (!lines.length) return -1;
  return (JSON.parse(lines[lines.length - 1]) as { assigned: string[] }).assigned.length;
}

describe('sessionizer with a group instance id (static membership), SIGKILLed and restarted', () => {
  const prefix = `${uniqueName('sess-static')}.`;
  const topics = topicNames(prefix);
  const appId = `${prefix}clickstream-sessionizer`;
  const env = {
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    STREAMS_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    LOG_LEVEL: 'info',
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

  const progress = async () =>
    Number(
      (
        await pool.query<{ n: string | null }>(
          `SELECT sum(next_offset) AS n FROM stream_offsets WHERE group_id = $1`,
          [appId],
        )
      ).rows[0].n ?? 0,
    );

  it('takes its partitions back at once, gives exactly the reference sessions, and still leaves the group on a clean stop', async () => {
    const events: ClickEventInput[] = [
      ...generateTraffic({
        seed: 23,
        startTime: START,
        ratePerSecond: 10,
        count: 12_000,
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
    await send(ingest, events);
    // A day later on every partition: every watermark passes every session's end.
    await send(
      ingest,
      Array.from({ length: 120 }, (_, i) => ({
        event_time: new Date(START + 3 * 86_400_000).toISOString(),
        event_type: 'view',
        user_id: `clock-${i}`,
      })),
    );
    const total = events.length + 120;

    const member = { ...env, STREAMS_GROUP_INSTANCE_ID: 'sessionizer-0' };
    proc = await startService('sessionizer', member);
    await waitFor(async () => (await progress()) >= total * 0.3, {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: 'sessionizer at 0.3',
    });
    await proc.stop('SIGKILL');
    const atKill = await progress();
    const restartedAt = Date.now();
    proc = await startService('sessionizer', member);
    // A dynamic member would wait out the killed one's session (60 s) before anything moved.
    await waitFor(async () => (await progress()) > atKill, {
      timeoutMs: BACK_WITHIN_MS,
      intervalMs: 50,
      what: `progress past ${atKill} within ${BACK_WITHIN_MS} ms of the restart`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; ${proc?.output().slice(-1500)}`);
    });
    const backAfterMs = Date.now() - restartedAt;
    expect(backAfterMs).toBeLessThan(BACK_WITHIN_MS);

    const users = [...new Set(ref.map((s) => s.user))];
    const rowsOf = () => storedSessions(pool, 'user_id = ANY($1)', [users]);
    await waitFor(
      async () => {
        const rows = await rowsOf();
        return rows.length === ref.length && rows.every((r) => r.status === 'closed');
      },
      { timeoutMs: 90_000, what: 'all sessions closed' },
    );
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
    await waitFor(
      async () =>
        (await readWholeTopic(testKafka(), topics.sessions, PARTITIONS)).filter(
          (r) => !(JSON.parse(r.value!) as { user_id: string }).user_id.startsWith('clock-'),
        ).length >= ref.length,
      { timeoutMs: 30_000, what: 'sessions published' },
    );
    const published = (await readWholeTopic(testKafka(), topics.sessions, PARTITIONS))
      .map((r) => JSON.parse(r.value!) as { session_id: string; user_id: string })
      .filter((s) => !s.user_id.startsWith('clock-'));
    expect(published.length).toBe(ref.length); // no duplicate, none missing

    // A clean stop leaves the group: another member gets every partition without waiting 60 s.
    expect(await proc.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    const stoppedAt = Date.now();
    proc = await startService('sessionizer', {
      ...env,
      STREAMS_GROUP_INSTANCE_ID: 'sessionizer-1',
    });
    await waitFor(async () => lastAssignment(proc!.output()) === PARTITIONS, {
      timeoutMs: BACK_WITHIN_MS,
      what: 'every partition assigned to the next member',
    }).catch((err: Error) => {
      throw new Error(`${err.message}; ${proc?.output().slice(-1500)}`);
    });
    expect(Date.now() - stoppedAt).toBeLessThan(BACK_WITHIN_MS);
  });
});
