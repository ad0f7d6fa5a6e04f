import { Pool } from 'pg';
import { topicNames } from '@clickstream/contracts';
import { deleteTopics, readWholeTopic, testKafka, uniqueName } from '../../support/kafka';
import { storedSessions } from '../../support/results';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { committedOffsets, crashTraffic, sendThroughIngest } from './crash-traffic';
import { refSessionLine, storedSessionLine } from './reference-sessions';

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
    const { events, clock, ref, total } = crashTraffic('crash', 11, 30_000, START);
    await sendThroughIngest(ingest, events);
    await sendThroughIngest(ingest, clock);
    const progress = () => committedOffsets(pool, appId);
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

    const rows = await rowsOf();
    expect(rows.map(storedSessionLine).sort()).toEqual(ref.map(refSessionLine).sort());

    const published = (await readWholeTopic(testKafka(), topics.sessions, PARTITIONS)).map(
      (r) => JSON.parse(r.value!) as { session_id: string; user_id: string },
    );
    const mine = published.filter((s) => !s.user_id.startsWith('clock-'));
    expect(mine.length).toBe(ref.length); // no duplicate, none missing
    expect(new Set(mine.map((s) => s.session_id))).toEqual(new Set(rows.map((r) => r.session_id)));
  });
});
