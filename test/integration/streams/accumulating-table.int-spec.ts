import { Pool } from 'pg';
import { TableSinkDefinition, TaskFencedError } from '@clickstream/streams';
import { TaskRepository } from '@clickstream/streams/internals';
import { uniqueName } from '../../support/kafka';
import { taskCommit } from '../../support/task-commit';

/** An accumulating table sink (per-event deltas) against real Postgres: sums are exact and fenced. */
describe('accumulating table sink', () => {
  let pool: Pool;
  const table = uniqueName('acc_counts')
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase();
  const sink: TableSinkDefinition = {
    kind: 'table',
    name: 'acc-table',
    table,
    columns: {
      window_start: 'timestamptz',
      user_id: 'text',
      partition: 'integer',
      events: 'bigint',
    },
    primaryKey: ['window_start', 'user_id'],
    accumulate: ['events'],
    row: (r) => r.value as Record<string, unknown>,
  };
  const W = '2026-12-01T10:00:00.000Z';
  const delta = (user_id: string, events = 1, partition = 0) => ({
    sink,
    row: { window_start: W, user_id, partition, events },
    key: { window_start: W, user_id },
  });
  const commitOf = (nextOffset: string, writes: ReturnType<typeof delta>[]) =>
    taskCommit(nextOffset, { tableWrites: writes, processed: writes.length });
  const counts = async () =>
    (
      await pool.query<{ user_id: string; events: string; partition: number }>(
        `SELECT user_id, events, partition FROM ${table} ORDER BY user_id`,
      )
    ).rows.map((r) => [r.user_id, Number(r.events), r.partition]);

  beforeAll(async () => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    await pool.query(
      `CREATE TABLE ${table} (window_start timestamptz, user_id text, partition integer, events bigint NOT NULL, PRIMARY KEY (window_start, user_id))`,
    );
  });

  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('adds deltas of one row within a commit and onto the stored count; a fenced commit adds nothing', async () => {
    const repo = new TaskRepository(pool);
    const id = { appId: uniqueName('acc-app'), topic: uniqueName('acc-src'), partition: 0 };
    const old = await repo.claim(id);
    await repo.commit(id, old.epoch, commitOf('3', [delta('u1'), delta('u2'), delta('u1')]), 0);
    expect(await counts()).toEqual([
      ['u1', 2, 0],
      ['u2', 1, 0],
    ]);

    const current = await repo.claim(id);
    await expect(
      repo.commit(id, old.epoch, commitOf('9', [delta('u1', 5)]), 0),
    ).rejects.toBeInstanceOf(TaskFencedError);
    await repo.commit(id, current.epoch, commitOf('5', [delta('u1', 1, 3), delta('u3')]), 0);
    expect(await counts()).toEqual([
      ['u1', 3, 3],
      ['u2', 1, 0],
      ['u3', 1, 0],
    ]);
  });
});
