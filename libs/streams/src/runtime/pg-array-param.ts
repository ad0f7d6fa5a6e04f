/**
 * Array parameters in Postgres' binary array format (what `array_send` writes and `array_recv`
 * reads). node-postgres sends a Buffer parameter in binary and Postgres reads it as the type the
 * statement casts it to (`$2::text[]`), so a commit's arrays skip node-postgres' text literal (two
 * regular expressions and a concatenation per element, about a twentieth of a dense processor's
 * main thread: BENCHMARKS.md, "Array parameters in binary") and Postgres' literal parser. The element type
 * written here must be the cast's, or Postgres refuses the parameter ("wrong element type").
 */

/** Element type OIDs (pg_type): text, bigint, integer. */
const TEXT_OID = 25;
const INT8_OID = 20;
const INT4_OID = 23;
/** ndim, has-null flag, element type, then one dimension's length and lower bound. */
const HEADER_BYTES = 20;

function header(size: number, elementOid: number, count: number, hasNull: boolean): Buffer {
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(hasNull ? 1 : 0, 4);
  out.writeInt32BE(elementOid, 8);
  out.writeInt32BE(count, 12);
  out.writeInt32BE(1, 16);
  return out;
}

/** An empty array has no dimension: ndim 0, the flag and the element type. */
function empty(elementOid: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeInt32BE(elementOid, 8);
  return out;
}

/**
 * A `text[]` parameter; null elements are SQL NULL. Strings are written as UTF-8, as node-postgres
 * writes a text parameter (a lone surrogate becomes U+FFFD either way); a NUL is refused by
 * Postgres as in text (22021), so a bad value fails its statement as before.
 */
export function textArrayParam(values: ReadonlyArray<string | null>): Buffer {
  const count = values.length;
  if (count === 0) return empty(TEXT_OID);
  const lengths = new Int32Array(count);
  let size = HEADER_BYTES + 4 * count;
  let hasNull = false;
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === null) {
      hasNull = true;
      lengths[i] = -1;
    } else {
      lengths[i] = Buffer.byteLength(value, 'utf8');
      size += lengths[i];
    }
  }
  const out = header(size, TEXT_OID, count, hasNull);
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    out.writeInt32BE(lengths[i], at);
    at += 4;
    if (lengths[i] > 0) at += out.write(values[i]!, at, lengths[i], 'utf8');
  }
  return out;
}

/**
 * A `bigint[]` parameter, or null when an element is not a safe integer: the caller then passes the
 * plain array, so such a value fails in Postgres as before (a refused commit, isolated) instead
 * of being rounded here.
 */
export const int8ArrayParam = (values: readonly number[]): Buffer | null =>
  integerArrayParam(values, INT8_OID, 8);

/** An `integer[]` parameter, or null when an element is not a 32-bit integer (as int8ArrayParam). */
export const int4ArrayParam = (values: readonly number[]): Buffer | null =>
  integerArrayParam(values, INT4_OID, 4);

function integerArrayParam(values: readonly number[], oid: number, bytes: 4 | 8): Buffer | null {
  const count = values.length;
  if (count === 0) return empty(oid);
  const out = header(HEADER_BYTES + (4 + bytes) * count, oid, count, false);
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const value = values[i];
    out.writeInt32BE(bytes, at);
    if (bytes === 4) {
      if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) return null;
      out.writeInt32BE(value, at + 4);
    } else {
      if (!Number.isSafeInteger(value)) return null;
      // Two's complement in two words: the high word signed, the low one unsigned.
      const high = Math.floor(value / 0x1_0000_0000);
      out.writeInt32BE(high, at + 4);
      out.writeUInt32BE(value - high * 0x1_0000_0000, at + 8);
    }
    at += 4 + bytes;
  }
  return out;
}

/**
 * What an array parameter holds: its element type and each element's bytes (null: SQL NULL), read
 * as array_recv would, refusing a layout it would refuse. For tests and probes of statements sent.
 */
export function readArrayParam(param: Buffer): { oid: number; elements: Array<Buffer | null> } {
  const ndim = param.readInt32BE(0);
  const oid = param.readInt32BE(8);
  if (ndim === 0 && param.length === 12) return { oid, elements: [] };
  if (ndim !== 1 || param.readInt32BE(16) !== 1)
    throw new Error(`not a one-dimensional array from 1: ndim ${ndim}`);
  const elements: Array<Buffer | null> = [];
  let at = HEADER_BYTES;
  for (let i = param.readInt32BE(12); i > 0; i--) {
    const length = param.readInt32BE(at);
    at += 4;
    elements.push(length < 0 ? null : param.subarray(at, (at += length)));
  }
  if (at !== param.length) throw new Error(`${param.length - at} bytes after the last element`);
  if (param.readInt32BE(4) !== (elements.includes(null) ? 1 : 0))
    throw new Error('the has-null flag does not match the elements');
  return { oid, elements };
}

/** The elements of a `text[]` parameter (readArrayParam's bytes as UTF-8). */
export const readTextArrayParam = (param: Buffer): Array<string | null> =>
  readArrayParam(param).elements.map((e) => (e === null ? null : e.toString('utf8')));
