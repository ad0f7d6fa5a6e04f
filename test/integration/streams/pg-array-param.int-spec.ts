import { Pool } from 'pg';
import { int4ArrayParam, int8ArrayParam, textArrayParam } from '@clickstream/streams/internals';

/**
 * The commit's binary array parameters (runtime/pg-array-param.ts) read by a real Postgres through
 * the casts the commit uses: each element comes back as itself, and a value Postgres refuses in
 * text (a NUL) is refused in binary too, so a bad record still fails its commit and is isolated.
 */
describe('array parameters in binary, read by Postgres', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  });
  afterAll(() => pool.end());

  it('reads text, bigint and integer elements as the literal arrays give them', async () => {
    const texts = [
      'a',
      '',
      'ünïcødé ✓ 𝄞',
      'quote " back\\slash {brace,comma}',
      null,
      'NULL',
      ' x ',
    ];
    const bigints = [
      0,
      -1,
      2 ** 32,
      -(2 ** 40) - 3,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    const ints = [0, -1, 2 ** 31 - 1, -(2 ** 31)];
    const sql = `SELECT $1::text[] AS t, $2::bigint[]::text[] AS b, $3::int[] AS i`;
    const binary = await pool.query(sql, [
      textArrayParam(texts),
      int8ArrayParam(bigints),
      int4ArrayParam(ints),
    ]);
    const literal = await pool.query(sql, [texts, bigints, ints]);
    expect(binary.rows).toEqual(literal.rows);
    expect(binary.rows[0]).toEqual({ t: texts, b: bigints.map(String), i: ints });
  });

  it('unnests arrays of one length row by row, and an empty array to no rows', async () => {
    const { rows } = await pool.query(
      `SELECT u.id, u.n FROM unnest($1::text[], $2::bigint[]) AS u(id, n) ORDER BY u.n`,
      [textArrayParam(['x', 'y']), int8ArrayParam([7, 8])],
    );
    expect(rows).toEqual([
      { id: 'x', n: '7' },
      { id: 'y', n: '8' },
    ]);
    const empty = await pool.query(
      `SELECT count(*)::int AS n FROM unnest($1::text[], $2::bigint[])`,
      [textArrayParam([]), int8ArrayParam([])],
    );
    expect(empty.rows).toEqual([{ n: 0 }]);
  });

  it('refuses a NUL in text as the literal does (invalid byte sequence, class 22)', async () => {
    const failure = (params: unknown[]) =>
      pool.query(`SELECT $1::text[] AS t`, params).then(
        () => null,
        (error: { code?: string }) => error.code,
      );
    const binary = await failure([textArrayParam(['ok', 'bad\u0000byte'])]);
    const literal = await failure([['ok', 'bad\u0000byte']]);
    expect(binary).toMatch(/^22/);
    expect(literal).toMatch(/^22/);
  });
});
