import { ByteFormatError } from '../core/byte-codec';

/**
 * One change of a commit as the state log holds it: a stored value (a node's bytes, or JSON text or
 * its UTF-8 bytes, as `storedStateValue` gives it) or undefined for a deletion.
 */
export interface StateLogEntry {
  store: string;
  key: string;
  value: string | Uint8Array | undefined;
}

/**
 * The layout of one `stream_state_log` row: every change of one commit in one value, so a commit
 * writes one row instead of one upsert per key (BENCHMARKS.md, "The state as a log").
 *
 *   version u8 (1) | store count u16 | per store: length u16, UTF-8
 *   per entry: kind u8 (0 deleted, 1 value) | store index u16 | key length u32, UTF-8
 *              | for a value: length u32, bytes
 *
 * A value's bytes are what `stream_state.value` holds for it, so a decoded value is read as a
 * stored one is (`decodeStateValue`).
 */
const VERSION = 1;
const DELETED = 0;
const VALUE = 1;

export function encodeStateLog(entries: readonly StateLogEntry[]): Buffer {
  const storeIndex = new Map<string, number>();
  const keys: Buffer[] = [];
  const values: Array<Buffer | Uint8Array | undefined> = [];
  let size = 3;
  for (const e of entries) {
    if (!storeIndex.has(e.store)) {
      storeIndex.set(e.store, storeIndex.size);
      size += 2 + Buffer.byteLength(e.store);
    }
    const key = Buffer.from(e.key, 'utf8');
    const value = typeof e.value === 'string' ? Buffer.from(e.value, 'utf8') : e.value;
    keys.push(key);
    values.push(value);
    size += 1 + 2 + 4 + key.length + (value === undefined ? 0 : 4 + value.length);
  }
  if (storeIndex.size > 0xffff)
    throw new ByteFormatError('a commit changed more than 65,535 stores');
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt8(VERSION, 0);
  at = out.writeUInt16LE(storeIndex.size, at);
  for (const store of storeIndex.keys()) {
    const length = out.write(store, at + 2, 'utf8');
    out.writeUInt16LE(length, at);
    at += 2 + length;
  }
  entries.forEach((e, i) => {
    const value = values[i];
    at = out.writeUInt8(value === undefined ? DELETED : VALUE, at);
    at = out.writeUInt16LE(storeIndex.get(e.store)!, at);
    at = out.writeUInt32LE(keys[i].length, at);
    at += keys[i].copy(out, at);
    if (value === undefined) return;
    at = out.writeUInt32LE(value.length, at);
    out.set(value, at);
    at += value.length;
  });
  return out;
}

/**
 * The entries of a row, in the order written. Values are copies (not views of the row), so a value
 * kept for long does not keep the whole row alive.
 */
export function decodeStateLog(
  row: Buffer,
): Array<{ store: string; key: string; value: Buffer | undefined }> {
  const fail = (why: string) => new ByteFormatError(`state log row: ${why}`);
  if (row.length < 3 || row[0] !== VERSION)
    throw fail(`version ${row.length ? row[0] : 'missing'}, expected ${VERSION}`);
  let at = 1;
  const need = (n: number) => {
    if (at + n > row.length) throw fail(`truncated at byte ${at} of ${row.length}`);
  };
  const storeCount = row.readUInt16LE(at);
  at += 2;
  const stores: string[] = [];
  for (let i = 0; i < storeCount; i++) {
    need(2);
    const length = row.readUInt16LE(at);
    need(2 + length);
    stores.push(row.toString('utf8', at + 2, at + 2 + length));
    at += 2 + length;
  }
  const out: Array<{ store: string; key: string; value: Buffer | undefined }> = [];
  while (at < row.length) {
    need(7);
    const kind = row[at];
    const store = stores[row.readUInt16LE(at + 1)];
    const keyLength = row.readUInt32LE(at + 3);
    at += 7;
    if ((kind !== DELETED && kind !== VALUE) || store === undefined)
      throw fail(`bad entry header at byte ${at - 7}`);
    need(keyLength);
    const key = row.toString('utf8', at, at + keyLength);
    at += keyLength;
    if (kind === DELETED) {
      out.push({ store, key, value: undefined });
      continue;
    }
    need(4);
    const length = row.readUInt32LE(at);
    need(4 + length);
    out.push({ store, key, value: Buffer.from(row.subarray(at + 4, at + 4 + length)) });
    at += 4 + length;
  }
  return out;
}
