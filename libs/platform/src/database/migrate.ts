import { Client } from 'pg';
import { createDataSource } from './data-source';

/** Any stable 64-bit key: serialises concurrent `migrate` runs (several replicas booting at once). */
const MIGRATION_LOCK_KEY = 727_001;

/** A locale name as initdb and CREATE DATABASE take it (it cannot be a bound parameter). */
const LOCALE_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * Creates the database when it is missing (a fresh machine), connecting to the server's `postgres` db.
 * `locale`: the new database's collation and character classes instead of the server's default (the
 * benches use it to run as on the deployed image, whose default is en_US.utf8).
 */
export async function ensureDatabase(url: string, o: { locale?: string } = {}): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL names no database: ${target.origin}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    if (o.locale !== undefined && !LOCALE_NAME.test(o.locale))
      throw new Error(`database locale ${JSON.stringify(o.locale)} is not a locale name`);
    // Identifiers cannot be bound as parameters; quote it as Postgres does.
    const locale = o.locale === undefined ? '' : ` TEMPLATE template0 LOCALE '${o.locale}'`;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"${locale}`);
    return true;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Runs pending migrations under an advisory lock; returns the names it applied. */
export async function migrate(url: string): Promise<string[]> {
  await ensureDatabase(url);
  const ds = createDataSource(url, 2);
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await runner.release();
    await ds.destroy();
  }
}

if (require.main === module) {
  const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/clickstream';
  migrate(url)
    .then((applied) => {
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
    })
    .catch((err: unknown) => {
      console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
