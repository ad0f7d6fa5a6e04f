import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * State values above 2 kB (the aggregator's window partials carry a 16 KiB HyperLogLog) are
 * compressed on every commit that rewrites them. pglz made that the aggregator's largest Postgres
 * cost under live traffic; lz4 halved its commit time (BENCHMARKS.md, 2026-12-02). A server built
 * without lz4 keeps pglz: same results, only slower.
 */
export class StateLz41766700000000 implements MigrationInterface {
  name = 'StateLz41766700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        ALTER TABLE stream_state ALTER COLUMN value SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported THEN
        RAISE NOTICE 'lz4 not supported by this server: stream_state keeps pglz';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stream_state ALTER COLUMN value SET COMPRESSION pglz`);
  }
}
