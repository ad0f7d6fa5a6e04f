import { Pool } from 'pg';
import { MIGRATIONS } from '@clickstream/platform';
import { createMigratedDatabase } from '../../support/postgres';

describe('real Postgres', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  });

  afterAll(() => pool.end());

  it('is a throw-away database with every migration applied', async () => {
    const db = await pool.query<{ name: string }>('SELECT current_database() AS name');
    expect(db.rows[0].name).toMatch(/^clickstream_test_/);
    const applied = await pool.query<{ name: string }>(
      'SELECT name FROM schema_migrations ORDER BY id',
    );
    expect(applied.rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it('compresses large state values with lz4 (this server has it)', async () => {
    const { rows } = await pool.query<{ method: string }>(
      `SELECT attcompression AS method FROM pg_attribute WHERE attrelid = 'stream_state'::regclass AND attname = 'value'`,
    );
    expect(rows[0].method).toBe('l');
  });

  it("compares every text column of every table's keys as bytes, not by the server's locale", async () => {
    // A database of its own: other suites create tables of their own in the shared one meanwhile.
    const db = await createMigratedDatabase('clickstream_test_byte_keys');
    // Read from the indexes themselves, so a key column added later without "C" fails here.
    const { rows } = await db.pool
      .query<{ index: string; column: string; collation: string }>(
        `SELECT ic.relname AS index, a.attname AS column, co.collname AS collation
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN unnest(i.indkey) AS k(attnum) ON true
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         JOIN pg_collation co ON co.oid = a.attcollation
        WHERE t.relnamespace = 'public'::regnamespace AND a.atttypid = 'text'::regtype
        ORDER BY 1, 2`,
      )
      .finally(() => db.drop());
    expect(rows.map((r) => `${r.index}.${r.column}`)).toEqual(
      expect.arrayContaining([
        'stream_dedupe_pkey.id',
        'stream_state_pkey.key',
        'sessions_pkey.session_id',
        'fraud_user_activity_pkey.user_id',
      ]),
    );
    expect(rows.filter((r) => r.collation !== 'C')).toEqual([]);
  });

  it('keeps what a transaction commits and nothing of what it rolls back', async () => {
    const group = `group-${Date.now()}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO stream_offsets (group_id, topic, partition, next_offset)
         SELECT $1, 'orders', p, p * 10 FROM generate_series(0, 5) AS p`,
        [group],
      );
      await client.query('COMMIT');

      await client.query('BEGIN');
      await client.query(`UPDATE stream_offsets SET next_offset = -1 WHERE group_id = $1`, [group]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }

    const rows = await pool.query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset FROM stream_offsets WHERE group_id = $1 ORDER BY partition',
      [group],
    );
    expect(rows.rows.map((r) => [r.partition, Number(r.next_offset)])).toEqual([
      [0, 0],
      [1, 10],
      [2, 20],
      [3, 30],
      [4, 40],
      [5, 50],
    ]);
  });
});
