import { readWholeTopic, testKafka } from '../../support/kafka';
import { outboxDrained, progress, storedSessions } from '../../support/results';
import { IngestSender } from '../faults/ingest-sender';
import { startService } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { crashTraffic, PARTITIONS, useCrashSuite } from './crash-traffic';
import { refSessionLine, storedSessionLine } from './reference-sessions';

const START = Date.UTC(2024, 0, 1, 10);

describe('sessionizer SIGKILLed twice mid-stream', () => {
  const suite = useCrashSuite('sess-crash', {
    STREAMS_SESSION_TIMEOUT_MS: '6000',
  });

  it('gives exactly the reference sessions, each published once', async () => {
    const { events, clock, ref, total } = crashTraffic('crash', 11, 30_000, START);
    await new IngestSender(suite.ingest.url('/v1/events')).sendAll([...events, ...clock], 2000);
    const consumed = () => progress(suite.pool, suite.appId);
    suite.proc = await startService('sessionizer', suite.env);
    for (const fraction of [0.3, 0.65]) {
      await waitFor(async () => (await consumed()) >= total * fraction, {
        timeoutMs: 120_000,
        intervalMs: 50,
        what: `sessionizer at ${fraction}`,
      });
      await suite.proc.stop('SIGKILL');
      suite.proc = await startService('sessionizer', suite.env);
    }
    const users = [...new Set(ref.map((s) => s.user))];
    const rowsOf = () => storedSessions(suite.pool, 'user_id = ANY($1)', [users]);
    let seen = '';
    await waitFor(
      async () => {
        const rows = await rowsOf();
        seen = `${rows.length} rows (${rows.filter((r) => r.status === 'closed').length} closed) of ${ref.length} expected`;
        return rows.length === ref.length && rows.every((r) => r.status === 'closed');
      },
      { timeoutMs: 60_000, what: 'all sessions closed' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${seen}; ${suite.proc?.output().slice(-1500)}`);
    });
    await waitFor(() => outboxDrained(suite.pool, suite.appId), { what: 'outbox drained' });
    await suite.proc.stop('SIGTERM');
    suite.proc = undefined;

    const rows = await rowsOf();
    expect(rows.map(storedSessionLine).sort()).toEqual(ref.map(refSessionLine).sort());

    const published = (await readWholeTopic(testKafka(), suite.topics.sessions, PARTITIONS)).map(
      (r) => JSON.parse(r.value!) as { session_id: string; user_id: string },
    );
    const mine = published.filter((s) => !s.user_id.startsWith('clock-'));
    expect(mine.length).toBe(ref.length); // no duplicate, none missing
    expect(new Set(mine.map((s) => s.session_id))).toEqual(new Set(rows.map((r) => r.session_id)));
  });
});
