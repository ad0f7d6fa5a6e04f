import { MigrationInterface, QueryRunner } from 'typeorm';

/** A migration that runs lists of SQL statements, in order: its own DDL, or the runtime's from libs/streams. */
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

/** One migration's statements: `up` applies them in order, `down` undoes them in order. */
export interface MigrationSql {
  up: readonly string[];
  down: readonly string[];
}

/**
 * The SqlMigration class of `sql`. `name` must stay the one databases have recorded (TypeORM's
 * schema_migrations), its 13-digit timestamp last; the class is named after it as well.
 */
export function sqlMigration(name: string, sql: MigrationSql): new () => SqlMigration {
  const migration = class extends SqlMigration {
    readonly name = name;
    protected readonly upSql = sql.up;
    protected readonly downSql = sql.down;
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}
