import { MigrationInterface, QueryRunner } from 'typeorm';

const REVENUE_TABLES = ['sessions', 'window_aggregates', 'product_hour_aggregates'];

/**
 * Revenue columns go from numeric(18,2) to numeric(38,2), so no sum of accepted purchases can
 * overflow (SPEC §2): the contract bounds one purchase to price 1e9 × quantity 1e6 = 1e15, and ten
 * of them already overflowed 18 digits, failing a processor's commit on every retry. Postgres widens
 * a numeric's precision without rewriting the table.
 */
export class WideRevenue1765400000000 implements MigrationInterface {
  name = 'WideRevenue1765400000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of REVENUE_TABLES)
      await q.query(`ALTER TABLE ${table} ALTER COLUMN revenue TYPE numeric(38, 2)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of REVENUE_TABLES)
      await q.query(`ALTER TABLE ${table} ALTER COLUMN revenue TYPE numeric(18, 2)`);
  }
}
