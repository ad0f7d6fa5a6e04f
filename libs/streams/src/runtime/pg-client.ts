import { Pool, PoolClient } from 'pg';

/**
 * Runs `fn` on a client of its own. node-postgres emits 'error' on a checked-out client whose
 * connection dies (a Postgres restart); without a listener that event would kill the process. The
 * listener only records it: the query in flight fails on its own, and the client is then released
 * as broken so the pool does not hand it out again.
 */
export async function withClient<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    broken ??= err as Error;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
