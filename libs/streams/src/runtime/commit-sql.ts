import { ByteFormatError } from '../core/byte-codec';
import { DedupeCommit } from '../core/dedupe';
import { STATE_BYTES_TAG } from '../core/store';
import { OutboxMessage, TableWrite } from '../core/task';
import { ColumnTypes, mergeTableRow, TableSinkDefinition } from '../core/topology';
import { int4ArrayParam, int8ArrayParam, textArrayParam } from './pg-array-param';

/**
 * The SQL of a task's commit, as data-modifying CTEs of one statement (task-repository.ts runs
 * it): state changes, result-table writes, outbox rows and remembered ids. Every value is a
 * parameter; multi-row writes go through unnest, so a commit is one round trip. Text, bigint and
 * integer arrays travel in binary (pg-array-param.ts); result tables' columns as node-postgres' literals.
 */

/** Parameters of one statement: `add` returns the placeholder of a value. */
export class Statement {
  readonly params: unknown[] = [];
  add(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** Every write of a commit runs only when its fence (the owner's offset update) matched. */
export const GUARD = 'EXISTS (SELECT 1 FROM fence)';

/** A bigint[] (integer[]) parameter in binary, or the plain array when an element does not fit (Postgres judges it). */
const bigints = (values: readonly number[]) => int8ArrayParam(values) ?? values;
const int4s = (values: number[]) => int4ArrayParam(values) ?? values;

/**
 * State changes as two data-modifying CTEs. A value is stored as bytea: a node's own bytes (the
 * sessionizer's session window), or its JSON in UTF-8. Not jsonb: jsonb's binary form of the
 * sessionizer's state (arrays of numbers) was 1.8 times its text, and Postgres parsed every value
 * of a commit into it, which under live cardinality was most of the WAL and much of the commit time
 * (BENCHMARKS.md, 2026-12-03). Upserted values travel as ONE bytea parameter (node-postgres sends a
 * Buffer in binary, no escaping), cut by offset and length; keys stay text. Values come stored
 * (`storedStateValue`, or bytes read back from the state log): undefined deletes the key.
 */
export function stateCtes(
  q: Statement,
  [app, topic, partition]: string[],
  changes: ReadonlyMap<string, ReadonlyMap<string, StoredStateValue | undefined>>,
): string[] {
  const up = {
    store: [] as string[],
    key: [] as string[],
    value: [] as Array<string | Uint8Array>,
    offset: [] as number[],
    length: [] as number[],
  };
  const del = { store: [] as string[], key: [] as string[] };
  let anyBytes = false;
  for (const [store, entries] of changes) {
    for (const [key, value] of entries) {
      if (value === undefined) {
        del.store.push(store);
        del.key.push(key);
      } else {
        up.store.push(store);
        up.key.push(key);
        if (typeof value !== 'string') anyBytes = true;
        up.value.push(value);
        up.length.push(typeof value === 'string' ? Buffer.byteLength(value) : value.length);
      }
    }
  }
  const out: string[] = [];
  if (del.key.length) {
    out.push(`state_del AS (DELETE FROM stream_state s USING unnest(${q.add(textArrayParam(del.store))}::text[], ${q.add(textArrayParam(del.key))}::text[]) AS d(store, key)
      WHERE s.app_id = ${app} AND s.topic = ${topic} AND s.partition = ${partition} AND s.store = d.store AND s.key = d.key AND ${GUARD})`);
  }
  if (up.key.length) {
    let offset = 1; // substring() counts from 1
    for (const length of up.length) {
      up.offset.push(offset);
      offset += length;
    }
    const values = q.add(
      anyBytes
        ? Buffer.concat(up.value.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)))
        : Buffer.from((up.value as string[]).join(''), 'utf8'),
    );
    out.push(`state_up AS (INSERT INTO stream_state (app_id, topic, partition, store, key, value)
      SELECT ${app}, ${topic}, ${partition}, u.store, u.key, substring(${values}::bytea FROM u.off FOR u.len)
        FROM unnest(${q.add(textArrayParam(up.store))}::text[], ${q.add(textArrayParam(up.key))}::text[], ${q.add(int4s(up.offset))}::int[], ${q.add(int4s(up.length))}::int[]) AS u(store, key, off, len)
       WHERE ${GUARD}
      ON CONFLICT (app_id, topic, partition, store, key) DO UPDATE SET value = EXCLUDED.value)`);
  }
  return out;
}

/** A state value as stored: JSON text, or bytes (a node's layout, or JSON's UTF-8 read back from the log). */
export type StoredStateValue = string | Uint8Array;

/** The commit's row of the state log, and the rows whose keys have all reached stream_state. */
export function stateLogCtes(
  q: Statement,
  [app, topic, partition]: string[],
  w: { append: { seq: number; changes: Buffer } | null; deleteBelow: number | null },
): string[] {
  const out: string[] = [];
  if (w.deleteBelow !== null)
    out.push(`state_log_del AS (DELETE FROM stream_state_log
      WHERE app_id = ${app} AND topic = ${topic} AND partition = ${partition} AND seq < ${q.add(w.deleteBelow)}::bigint AND ${GUARD})`);
  if (w.append)
    out.push(`state_log_ins AS (INSERT INTO stream_state_log (app_id, topic, partition, seq, changes)
      SELECT ${app}, ${topic}, ${partition}, ${q.add(w.append.seq)}::bigint, ${q.add(w.append.changes)}::bytea WHERE ${GUARD})`);
  return out;
}

/** A state's stored bytes: a node's own byte layout as it is (STATE_BYTES_TAG first), anything else as its JSON. */
export function storedStateValue(value: unknown): StoredStateValue {
  if (!(value instanceof Uint8Array)) return JSON.stringify(value);
  // Anything else would be read back as JSON, and fail: a node's bug, caught at its first commit.
  if (value[0] !== STATE_BYTES_TAG)
    throw new ByteFormatError(
      `stored state bytes must begin with 0x00 (a node layout tag), not ${value.length ? `0x${value[0].toString(16).padStart(2, '0')}` : 'nothing'}`,
    );
  return value;
}

/** A stored state value: a node's bytes (STATE_BYTES_TAG first, handed to it as they are) or JSON in UTF-8. */
export function decodeStateValue(value: Buffer): unknown {
  if (value.length > 0 && value[0] === STATE_BYTES_TAG) return value;
  return JSON.parse(value.toString('utf8'));
}

export function tableCtes(q: Statement, writes: TableWrite[]): string[] {
  // Last write per primary key wins within a batch (accumulating sinks: deltas add up); one upsert
  // and one delete per table.
  const bySink = new Map<TableSinkDefinition, Map<string, TableWrite>>();
  for (const w of writes) {
    const rows = bySink.get(w.sink) ?? new Map<string, TableWrite>();
    const source = w.row ?? w.key;
    const pk = JSON.stringify(w.sink.primaryKey.map((c) => source[c]));
    const prev = rows.get(pk);
    rows.set(pk, prev?.row && w.row ? { ...w, row: mergeTableRow(w.sink, prev.row, w.row) } : w);
    bySink.set(w.sink, rows);
  }
  const out: string[] = [];
  let n = 0;
  for (const [sink, rows] of bySink) {
    const all = [...rows.values()];
    const upserts = all.filter((w) => w.row !== null).map((w) => w.row!);
    const deletes = all.filter((w) => w.row === null).map((w) => w.key);
    if (deletes.length)
      out.push(
        `t${n}_del AS (${deleteSql(q, sink, columnArrays(sink.columns, sink.primaryKey, deletes))})`,
      );
    if (upserts.length)
      out.push(
        `t${n}_up AS (${upsertSql(q, sink, columnArrays(sink.columns, Object.keys(sink.columns), upserts))})`,
      );
    n++;
  }
  return out;
}

/** The outbox rows as `unnest(…) AS o(seq, target_topic, key, value)`, their arrays in binary. */
export function outboxRows(q: Statement, outbox: OutboxMessage[]): string {
  const seq = q.add(bigints(outbox.map((m) => m.seq)));
  const target = q.add(textArrayParam(outbox.map((m) => m.topic)));
  const key = q.add(textArrayParam(outbox.map((m) => m.key)));
  const value = q.add(textArrayParam(outbox.map((m) => m.value)));
  return `unnest(${seq}::bigint[], ${target}::text[], ${key}::text[], ${value}::text[]) AS o(seq, target_topic, key, value)`;
}

export function outboxCtes(
  q: Statement,
  [app, topic, partition]: string[],
  outbox: OutboxMessage[],
  publishedBelow: number,
): string[] {
  const out = [
    `outbox_del AS (DELETE FROM stream_outbox WHERE app_id = ${app} AND topic = ${topic} AND partition = ${partition} AND seq < ${q.add(publishedBelow)} AND ${GUARD})`,
  ];
  if (outbox.length === 0) return out;
  out.push(`outbox_ins AS (INSERT INTO stream_outbox (app_id, topic, partition, seq, target_topic, key, value)
    SELECT ${app}, ${topic}, ${partition}, o.seq, o.target_topic, o.key, o.value
      FROM ${outboxRows(q, outbox)}
     WHERE ${GUARD})`);
  return out;
}

/** Ids first seen in this commit are remembered; ids the watermark left behind the horizon are forgotten. */
export function dedupeCtes(q: Statement, dedupeTaskId: string, d: DedupeCommit | null): string[] {
  if (!d) return [];
  const task = q.add(dedupeTaskId);
  const out: string[] = [];
  if (d.forgetBefore !== null) {
    out.push(
      `dedupe_del AS (DELETE FROM stream_dedupe WHERE task = ${task}::bigint AND event_time < ${q.add(d.forgetBefore)}::bigint AND ${GUARD})`,
    );
  }
  const { ids, fingerprints, eventTimes } = d.remember;
  if (ids.length) {
    // Only ids absent from memory and from the batch's lookup get here, and only the task's owner
    // (the fence) writes them, so a plain insert: with ON CONFLICT DO NOTHING an id took 8.2 µs
    // instead of 6.5 (BENCHMARKS.md, 2026-12-04). Should a row race in anyway, the unique
    // violation is a refused commit: the supervisor isolates the record and dead-letters it with
    // the reason (nothing stalls).
    out.push(`dedupe_ins AS (INSERT INTO stream_dedupe (task, id, fingerprint, event_time)
      SELECT ${task}::bigint, d.id, d.fingerprint, d.event_time
        FROM unnest(${q.add(textArrayParam(ids))}::text[], ${q.add(bigints(fingerprints))}::bigint[], ${q.add(bigints(eventTimes))}::bigint[]) AS d(id, fingerprint, event_time)
       WHERE ${GUARD})`);
  }
  return out;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Array columns cannot go through unnest (it flattens them): they travel as JSON text. */
const paramType = (type: string) => (type.endsWith('[]') || type === 'jsonb' ? 'text' : type);
const selectExpr = (col: string, type: string) =>
  type === 'text[]'
    ? `ARRAY(SELECT jsonb_array_elements_text(u.${ident(col)}::jsonb))`
    : type === 'jsonb'
      ? `u.${ident(col)}::jsonb`
      : `u.${ident(col)}`;

function upsertSql(q: Statement, sink: TableSinkDefinition, arrays: unknown[][]): string {
  const cols = Object.entries(sink.columns);
  const names = cols.map(([c]) => ident(c)).join(', ');
  const unnest = cols.map(([, type], i) => `${q.add(arrays[i])}::${paramType(type)}[]`).join(', ');
  const select = cols.map(([c, type]) => selectExpr(c, type)).join(', ');
  const nonKey = cols.filter(([c]) => !sink.primaryKey.includes(c));
  // An accumulating column adds the delta to the stored value.
  const set = (c: string) =>
    sink.accumulate?.includes(c)
      ? `${ident(c)} = ${ident(sink.table)}.${ident(c)} + EXCLUDED.${ident(c)}`
      : `${ident(c)} = EXCLUDED.${ident(c)}`;
  const update = nonKey.length
    ? `DO UPDATE SET ${nonKey.map(([c]) => set(c)).join(', ')}`
    : 'DO NOTHING';
  return `INSERT INTO ${ident(sink.table)} (${names})
          SELECT ${select} FROM unnest(${unnest}) AS u(${names}) WHERE ${GUARD}
          ON CONFLICT (${sink.primaryKey.map(ident).join(', ')}) ${update}`;
}

function deleteSql(q: Statement, sink: TableSinkDefinition, arrays: unknown[][]): string {
  const types = sink.columns;
  const unnest = sink.primaryKey
    .map((c, i) => `${q.add(arrays[i])}::${paramType(types[c])}[]`)
    .join(', ');
  const names = sink.primaryKey.map(ident).join(', ');
  const match = sink.primaryKey
    .map((c) => `t.${ident(c)} = ${selectExpr(c, types[c])}`)
    .join(' AND ');
  return `DELETE FROM ${ident(sink.table)} t USING unnest(${unnest}) AS u(${names}) WHERE ${match} AND ${GUARD}`;
}

function columnArrays(
  types: ColumnTypes,
  columns: string[],
  rows: Array<Record<string, unknown>>,
): unknown[][] {
  return columns.map((c) => {
    const type = types[c];
    return rows.map((r) => {
      const v = r[c];
      if (v === undefined || v === null) return null;
      if (type === 'jsonb' || type.endsWith('[]')) return JSON.stringify(v);
      return v;
    });
  });
}
