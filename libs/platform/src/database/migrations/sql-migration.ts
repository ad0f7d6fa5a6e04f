import { MigrationInterface, QueryRunner } from 'typeorm';

/** A migration that runs lists of SQL statements (the runtime's DDL lives in libs/streams). */
export abstract class SqlMigration implements MigrationInterface {
  abstract readonly name: string;
  protected abstract readonly upSql: readonly string[];
  protected abstract readonly downSql: readonly string[];

  async up(q: QueryRunner): Promise<void> {
    for (const sql of this.upSql) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of this.downSql) await q.query(sql);
  }
}
