import { Pool } from 'pg';
import { PG_COLUMN_TYPES } from '@clickstream/contracts';
import { TableSinkDefinition, TableWrite, TaskRepository } from '@clickstream/streams/internals';
import { uniqueName } from '../../support/kafka';
import { taskCommit } from '../../support/task-commit';

/**
 * Result rows reach Postgres as one json parameter per table (json_to_recordset): every column type
 * a table sink can write must read back as the writer gave it, awkward text included, and a
 * delete must remove exactly its row. On a real Postgres.
 */
describe('table sink values in Postgres', () => {
  let pool: Pool;
  let repo: TaskRepository;
  const table = uniqueName('sink_values').replace(/[^a-z0-9_]/g, '_');
  const sink: TableSinkDefinition = {
    kind: 'table',
    name: 'table-sink-values',
    table,
    columns: {
      id: 'text',
      big: 'bigint',
      small: 'integer',
      ratio: 'double precision',
      amount: 'numeric',
      flag: 'boolean',
      at: 'timestamptz',
      doc: 'jsonb',
      tags: 'text[]',
    },
    primaryKey: ['id'],
    row: () => null,
  };
  const write = (
    row: Record<string, unknown> | null,
    key: Record<string, unknown>,
  ): TableWrite => ({
    sink,
    row,
    key,
  });
  const AWKWARD = `quote " backslash \\ comma , braces {} ' apostrophe\nnewline é 😀 NULL`;

  beforeAll(async () => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    repo = new TaskRepository(pool);
    await pool.query(
      `CREATE TABLE ${table} (id text PRIMARY KEY, big bigint, small integer, ratio double precision,
         amount numeric(38,2), flag boolean, at timestamptz, doc jsonb, tags text[])`,
    );
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  const stored = async () =>
    (
      await pool.query(
        `SELECT id, big::text, small, ratio, amount::text, flag, (extract(epoch FROM at) * 1000)::bigint::text AS at_ms, doc, tags
           FROM ${table} ORDER BY id`,
      )
    ).rows;

  it('covers every column type a sink can write', () => {
    expect(Object.values(sink.columns).sort()).toEqual([...PG_COLUMN_TYPES].sort());
  });

  it('writes every column type as given, awkward text included, and deletes exactly by key', async () => {
    const task = {
      appId: uniqueName('sink-values'),
      topic: uniqueName('sink-values-src'),
      partition: 0,
    };
    const claimed = await repo.claim(task);
    const full = {
      id: AWKWARD,
      big: Number.MAX_SAFE_INTEGER,
      small: -7,
      ratio: 0.1 + 0.2,
      amount: 1234567890.12,
      flag: false,
      at: '2026-12-04T13:00:00.123Z',
      doc: { nested: { text: AWKWARD, list: [1, null, 'x'] }, empty: {} },
      tags: [AWKWARD, '', 'plain', null, '{"json":"text"}'],
    };
    const sparse = { id: 'sparse', big: 1, tags: [], doc: 'a string' };
    const doomed = { id: 'doomed', small: 1 };
    await repo.commit(
      task,
      claimed.epoch,
      taskCommit('1', {
        tableWrites: [full, sparse, doomed].map((row) => write(row, { id: row.id })),
      }),
      0,
    );
    await repo.commit(
      task,
      claimed.epoch,
      taskCommit('2', {
        tableWrites: [
          write(null, { id: 'doomed' }),
          write({ ...sparse, flag: true, amount: 0.5 }, { id: 'sparse' }),
        ],
      }),
      0,
    );

    expect(await stored()).toEqual([
      {
        id: AWKWARD,
        big: String(Number.MAX_SAFE_INTEGER),
        small: -7,
        ratio: 0.1 + 0.2,
        amount: '1234567890.12',
        flag: false,
        at_ms: String(Date.parse('2026-12-04T13:00:00.123Z')),
        doc: full.doc,
        tags: full.tags,
      },
      {
        id: 'sparse',
        big: '1',
        small: null,
        ratio: null,
        amount: '0.50',
        flag: true,
        at_ms: null,
        doc: 'a string',
        tags: [],
      },
    ]);
  });
});
