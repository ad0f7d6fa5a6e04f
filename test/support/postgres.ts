import { Pool } from 'pg';
import { ensureDatabase, migrate, dropDatabase } from '../../libs/platform/src/database/migrate';

/** The server tests use: TEST_DATABASE_URL's server, else the local one (trust auth). */
export function testDatabaseUrl(database: string): string {
  const base = new URL(
    process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  base.pathname = `/${database}`;
  return base.toString();
}

/** A database of the test's own, migrated; `drop()` removes it. */
export async function createMigratedDatabase(prefix: string) {
  const url = testDatabaseUrl(`${prefix}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`);
  await ensureDatabase(url);
  await migrate(url);
  const pool = new Pool({ connectionString: url, max: 4 });
  // DROP ... WITH (FORCE) terminates connections that are still closing: expected, not a failure.
  pool.on('error', () => undefined);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(url);
    },
  };
}
