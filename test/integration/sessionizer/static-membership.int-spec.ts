import { hostname } from 'node:os';
import { logEndOffsets } from '../../../tools/shared/log-end-offsets';
import { readWholeTopic, testBrokers, testKafka } from '../../support/kafka';
import { committedOffsets, outboxDrained, progress, storedSessions } from '../../support/results';
import { IngestSender } from '../faults/ingest-sender';
import { startService } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { CrashSuite, crashTraffic, PARTITIONS, useCrashSuite } from './crash-traffic';
import { refSessionLine, storedSessionLine } from './reference-sessions';

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

/** The partitions whose committed offset in Postgres is still below their log end when it was read. */
async function partitionsBehind(suite: CrashSuite, ends: Map<number, bigint>): Promise<string[]> {
  const at = await committedOffsets(suite.pool, suite.appId, suite.topics.events);
  return [...ends]
    .filter(([partition, end]) => (at.get(partition) ?? 0n) < end)
    .map(([partition, end]) => `partition ${partition} at ${at.get(partition) ?? 0n} of ${end}`);
}

describe('sessionizer with a group instance id (static membership), SIGKILLed and restarted', () => {
  const suite = useCrashSuite('sess-static', {
    STREAMS_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    LOG_LEVEL: 'info',
  });

  it('takes its partitions back at once, gives exactly the reference sessions, still leaves the group on a clean stop, and exits when another process takes its id', async () => {
    const { events, clock, ref } = crashTraffic('static', 23, 12_000, START);
    const sender = new IngestSender(suite.ingest.url('/v1/events'));
    await sender.sendAll(events, 2000);
    const consumed = () => progress(suite.pool, suite.appId);

    const member = { ...suite.env, STREAMS_GROUP_INSTANCE_ID: 'sessionizer-0' };
    suite.proc = await startService('sessionizer', member);
    await waitFor(async () => (await consumed()) >= events.length * 0.3, {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: 'sessionizer at 0.3',
    });
    await suite.proc.stop('SIGKILL');
    // Sent while no process is in the group: only the restarted member can consume them. (The
    // killed one may have consumed all the rest before it died: a loaded machine polls late.)
    await sender.sendAll(clock, 2000);
    // The high watermark: kafkajs' fetchTopicOffsets answers the last stable offset, which can
    // trail ingest's 202 and leave the clock events out (logEndOffsets says why).
    const ends = await logEndOffsets(testBrokers(), suite.topics.events);
    suite.proc = await startService('sessionizer', member);
    // A dynamic member would wait out the killed one's session (60 s) before anything moved.
    // Per partition: a sum could hide one behind.
    let behind: string[] = [];
    await waitFor(async () => (behind = await partitionsBehind(suite, ends)).length === 0, {
      timeoutMs: BACK_WITHIN_MS,
      intervalMs: 50,
      what: `every partition at its end within ${BACK_WITHIN_MS} ms of the restart`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}: ${behind.join(', ')}; ${suite.proc?.output().slice(-1500)}`);
    });

    const users = [...new Set(ref.map((s) => s.user))];
    const rowsOf = () => storedSessions(suite.pool, 'user_id = ANY($1)', [users]);
    await waitFor(
      async () => {
        const rows = await rowsOf();
        return rows.length === ref.length && rows.every((r) => r.status === 'closed');
      },
      { timeoutMs: 90_000, what: 'all sessions closed' },
    );
    const rows = await rowsOf();
    expect(rows.map(storedSessionLine).sort()).toEqual(ref.map(refSessionLine).sort());
    await waitFor(() => outboxDrained(suite.pool, suite.appId), { what: 'outbox drained' });
    const published = (await readWholeTopic(testKafka(), suite.topics.sessions, PARTITIONS))
      .map((r) => JSON.parse(r.value!) as { session_id: string; user_id: string })
      .filter((s) => !s.user_id.startsWith('clock-'));
    expect(published.length).toBe(ref.length); // no duplicate, none missing

    // A clean stop leaves the group: another member gets every partition without waiting 60 s.
    expect(await suite.proc.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    suite.proc = await startService('sessionizer', {
      ...suite.env,
      STREAMS_GROUP_INSTANCE_ID: 'sessionizer-{hostname}',
    });
    await waitFor(async () => lastAssignment(suite.proc!.output()) === PARTITIONS, {
      timeoutMs: BACK_WITHIN_MS,
      what: 'every partition assigned to the next member',
    }).catch((err: Error) => {
      throw new Error(`${err.message}; ${suite.proc?.output().slice(-1500)}`);
    });

    // A second live process with the same id: the broker fences the older one, which exits 1
    // saying why instead of rejoining (they would fence each other in turn, and nothing would move).
    const older = suite.proc;
    suite.proc = await startService('sessionizer', {
      ...suite.env,
      STREAMS_GROUP_INSTANCE_ID: 'sessionizer-{hostname}',
    });
    await waitFor(() => older.child.exitCode !== null || older.child.signalCode !== null, {
      timeoutMs: BACK_WITHIN_MS + SESSION_TIMEOUT_MS,
      what: () => `the older member's exit; its output: ${older.output().slice(-1500)}`,
    });
    expect({ code: older.child.exitCode, signal: older.child.signalCode }).toEqual({
      code: 1,
      signal: null,
    });
    const fenced = older
      .output()
      .split('\n')
      .find((l) => l.includes('"group instance fenced"'));
    expect(fenced).toBeDefined();
    expect(JSON.parse(fenced!)).toMatchObject({
      level: 50, // pino's error
      groupInstanceId: `sessionizer-${hostname()}`, // as compose sets it
      code: 'INSTANCE_FENCED',
    });
    expect(older.output()).toContain('"service stopping after a fatal error"');
    expect(older.output()).not.toContain('"consumer restarting"');
    await waitFor(async () => lastAssignment(suite.proc!.output()) === PARTITIONS, {
      timeoutMs: BACK_WITHIN_MS,
      what: 'every partition kept by the newer member',
    });
    expect(suite.proc.child.exitCode).toBeNull();
  });
});
