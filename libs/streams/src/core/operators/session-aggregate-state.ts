/**
 * The session aggregate's per-key state: its in-memory form (KeyState, changed in place) and the
 * stored forms it is written as and read back from.
 */

/** A stored form for a key's tail values; `decode(encode(vs))` must equal `vs`. */
export interface TailCodec<V> {
  encode(values: V[]): unknown;
  decode(encoded: unknown): V[];
}

/** Stored state this node cannot read (a configuration error, so never retried). */
export class StateFormatError extends Error {
  readonly code = 'STATE_FORMAT_UNREADABLE';
  readonly retriable = false;
}

/** A session as of one of its records. Never changed: a session that grows is a new object. */
export interface Session<A> {
  start: number;
  last: number;
  count: number;
  agg: A;
  /**
   * Only when a record's own key differs from its group key: the aggregate a re-segmentation gives
   * (it folds records as (group key, time, value)), while `agg` is the one emitted so far.
   */
  alt?: A;
}

/**
 * A record of the key newer than the watermark of the last fold. It does not keep its session as of
 * it: a fold recomputes that from `base`. A snapshot per record (session, aggregate, counts) lived as
 * long as the allowed lateness under live traffic, three long-lived objects per event for the
 * garbage collector (bench:session-cpu, BENCHMARKS.md 2026-12-03).
 */
export interface TailEntry<V> {
  time: number;
  value: V;
}

/**
 * The open part of one key. A record that is not late (t >= watermark) is placed after every kept
 * record with a time <= t, so records at or behind the watermark are never re-segmented: they are
 * folded into `base` and dropped. Only `tail[head..]`, the records newer than the watermark, are
 * kept: a tail bounded by rate × allowed lateness, whatever the session's length.
 *
 * `sessions` are the key's open sessions in order (what it emits). Every open session closes after
 * the watermark (onWatermark closed the others), so only the first can hold records at or behind it:
 * `base` is that first session as of its last folded record (null: none folded).
 * Changed in place (appends, the last session replaced; anything else swaps in new arrays), with an
 * undo per change for rollback.
 */
export class KeyState<V, A> {
  constructor(
    public sessions: Array<Session<A>>,
    public base: Session<A> | null,
    public tail: Array<TailEntry<V>>,
    public head: number,
    private readonly codec?: TailCodec<V>,
    /** The node's byte layout (its SessionBytesCodec); none: stored as toJSON() gives it. */
    private readonly toBytes?: (state: KeyState<V, A>) => Buffer,
  ) {}

  /** What the store's commit snapshot writes: bytes when the node has a byte layout, else toJSON(). */
  storedForm(): Buffer | EncodedState<V, A> {
    return this.toBytes ? this.toBytes(this) : this.toJSON();
  }

  /** The stored form (JSON.stringify and the store's commit snapshot use it). One pass over the tail. */
  toJSON(): EncodedState<V, A> {
    const { tail, head } = this;
    const count = tail.length - head;
    const times = new Array<number>(count);
    const values = new Array<V>(count);
    let integral = true;
    for (let index = 0; index < count; index++) {
      const entry = tail[head + index];
      times[index] = entry.time;
      values[index] = entry.value;
      if (integral && !Number.isSafeInteger(entry.time)) integral = false;
    }
    // Times as differences to the previous one (exact for integers: ms timestamps are).
    if (integral) for (let index = count - 1; index > 0; index--) times[index] -= times[index - 1];
    return {
      v: 2,
      s: this.sessions.map(encodeSession),
      b: this.base && encodeSession(this.base),
      ...(integral ? { dt: times } : { t: times }),
      ...(this.codec ? { ec: this.codec.encode(values) } : { e: values }),
    };
  }
}

/** Stored form, version 2. Sessions and base: `{ s: start, l: last, c: count, a: agg, x?: alt }`. */
export interface EncodedState<V, A> {
  v: 2;
  s: Array<EncodedSession<A>>;
  b: EncodedSession<A> | null;
  /** Tail times: `dt` delta-coded, or `t` as they are when one is not a safe integer. */
  dt?: number[];
  t?: number[];
  /** Tail values: `e` as they are, or `ec` in the node's TailCodec form. */
  e?: V[];
  ec?: unknown;
}

interface EncodedSession<A> {
  s: number;
  l: number;
  c: number;
  a: A;
  x?: A;
}

/** The stored form before version 2: every record of the open sessions. Still read. */
export interface LegacyState<V, A> {
  events: Array<[number, V]>;
  sessions: Array<Session<A>>;
}

/** What the store holds for a key: a KeyState, or a stored form not yet decoded (after a restore): JSON's or bytes. */
export type StoredState<V, A> =
  KeyState<V, A> | EncodedState<V, A> | LegacyState<V, A> | Uint8Array;

function encodeSession<A>(session: Session<A>): EncodedSession<A> {
  const out: EncodedSession<A> = {
    s: session.start,
    l: session.last,
    c: session.count,
    a: session.agg,
  };
  if (session.alt !== undefined) out.x = session.alt;
  return out;
}

export function decodeSession<A>(encoded: EncodedSession<A>): Session<A> {
  const out: Session<A> = { start: encoded.s, last: encoded.l, count: encoded.c, agg: encoded.a };
  if (encoded.x !== undefined) out.alt = encoded.x;
  return out;
}

/** The stored tail's times, undoing the delta coding. */
export function tailTimes<V, A>(raw: EncodedState<V, A>): number[] {
  let time = 0;
  return raw.dt ? raw.dt.map((delta, i) => (time = i === 0 ? delta : time + delta)) : raw.t!;
}

/** The stored tail's values; `nodeName` names the node in the error when it cannot decode them. */
export function tailValues<V, A>(
  raw: EncodedState<V, A>,
  codec: TailCodec<V> | undefined,
  nodeName: string,
): V[] {
  if (raw.ec === undefined) return raw.e!;
  if (!codec)
    throw new StateFormatError(
      `${nodeName}: stored state has an encoded tail but the node has no tailCodec`,
    );
  return codec.decode(raw.ec);
}

/** The session as a re-segmentation sees it. */
export const plainSession = <A>(session: Session<A>): Session<A> =>
  session.alt === undefined
    ? session
    : { start: session.start, last: session.last, count: session.count, agg: session.alt };
