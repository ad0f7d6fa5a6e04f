import { Pool } from 'pg';
import { topicNames } from '@clickstream/contracts';
import { deleteTopics, readWholeTopic, testKafka, uniqueName } from '../../support/kafka';
import { outboxDrained, storedSessions } from '../../support/results';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { committedOffsets, crashTraffic, sendThroughIngest } from './crash-traffic';
import { refSessionLine, storedSessionLine } from './reference-sessions';

const PARTITIONS = 6;
const START = Date.UTC(2024, 0, 2, 10);
// Far longer than a restart takes: a dynamic member's restart would wait this long for its partitions.
const SESSION_TIMEOUT_MS = 60_000;
// What a restart with the same group instance id may take to process again (a node boot, the
// join, the tasks' restore), on a loaded CI machine.
const BACK_WITHIN_MS = 25_000;

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

  it('takes its partitions back at once, gives exactly the reference sessions, and still leaves the group on a clean stop', async () => {
    const { events, clock, ref, total } = crashTraffic('static', 23, 12_000, START);
    await sendThroughIngest(ingest, events);
    await sendThroughIngest(ingest, clock);
    const progress = () => committedOffsets(pool, appId);

    const member = { ...env, STREAMS_GROUP_INSTANCE_ID: 'sessionizer-0' };
    proc = await startService('sessionizer', member);
    await waitFor(async () => (await progress()) >= total * 0.3, {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: 'sessionizer at 0.3',
    });
    await proc.stop('SIGKILL');
    const atKill = await progress();
    proc = await startService('sessionizer', member);
    // A dynamic member would wait out the killed one's session (60 s) before anything moved.
    await waitFor(async () => (await progress()) > atKill, {
      timeoutMs: BACK_WITHIN_MS,
      intervalMs: 50,
      what: `progress past ${atKill} within ${BACK_WITHIN_MS} ms of the restart`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; ${proc?.output().slice(-1500)}`);
    });

    const users = [...new Set(ref.map((s) => s.user))];
    const rowsOf = () => storedSessions(pool, 'user_id = ANY($1)', [users]);
    await waitFor(
      async () => {
        const rows = await rowsOf();
        return rows.length === ref.length && rows.every((r) => r.status === 'closed');
      },
      { timeoutMs: 90_000, what: 'all sessions closed' },
    );
    const rows = await rowsOf();
    expect(rows.map(storedSessionLine).sort()).toEqual(ref.map(refSessionLine).sort());
    await waitFor(() => outboxDrained(pool, appId), { what: 'outbox drained' });
    const published = (await readWholeTopic(testKafka(), topics.sessions, PARTITIONS))
      .map((r) => JSON.parse(r.value!) as { session_id: string; user_id: string })
      .filter((s) => !s.user_id.startsWith('clock-'));
    expect(published.length).toBe(ref.length); // no duplicate, none missing

    // A clean stop leaves the group: another member gets every partition without waiting 60 s.
    expect(await proc.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
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
  });
});
