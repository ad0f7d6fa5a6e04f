import { z } from 'zod';

/** Cursors are small; anything longer was not made by us. */
const MAX_CURSOR_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * A keyset cursor: the sort key of the last row of a page, as JSON in base64url. It is opaque to
 * clients; it holds no offsets, so rows inserted meanwhile shift nothing and no row is seen twice.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key of a cursor, validated by `schema`; undefined for anything we did not produce. */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T | undefined {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor))
    return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** An exact Postgres timestamp (microseconds) as the sort key of a cursor. */
export const cursorTimestamp = z.iso.datetime({ offset: false, precision: 6 });

/** Postgres renders a timestamptz column as this, exact to the microsecond, for cursors. */
export const exactTimestampSql = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
