import { MinHeap } from '../min-heap';
import { NodeDefinition, Rec } from '../processor';

export interface SessionAggregateOptions<V, A> {
  /** A record at least this long after the key's previous record starts a new session. */
  gapMs: number;
  /** A record at least this long after the session's first record starts a new session. */
  maxDurationMs?: number;
  store?: string;
  groupKey?: (value: V, rec: Rec<V>) => string;
  initializer: () => A;
  /** Pure fold over the session's records in event-time order. */
  aggregator: (agg: A, value: V, rec: Rec<V>) => A;
  emit: 'update' | 'final';
  /**
   * How the records newer than the watermark are stored (default: as they are). Every commit rewrites
   * a touched key's state, tail included, so a compact form pays for itself under live traffic.
   */
  tailCodec?: TailCodec<V>;
}

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

export interface SessionResult<A> {
  key: string;
  start: number;
  /** Event time of the session's last record. */
  last: number;
  count: number;
  value: A;
  final: boolean;
  /** Update mode only: an out-of-order record merged or split this session away; drop it. */
  retracted: boolean;
}

/** A session as of one of its records. Never changed: a session that grows is a new object. */
interface Session<A> {
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
interface TailEntry<V> {
  t: number;
  v: V;
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
class KeyState<V, A> {
  constructor(
    public sessions: Array<Session<A>>,
    public base: Session<A> | null,
    public tail: Array<TailEntry<V>>,
    public head: number,
    private readonly codec?: TailCodec<V>,
  ) {}

  /** The stored form (JSON.stringify and the store's commit snapshot use it). One pass over the tail. */
  toJSON(): EncodedState<V, A> {
    const { tail, head } = this;
    const n = tail.length - head;
    const times = new Array<number>(n);
    const values = new Array<V>(n);
    let integral = true;
    for (let i = 0; i < n; i++) {
      const entry = tail[head + i];
      times[i] = entry.t;
      values[i] = entry.v;
      if (integral && !Number.isSafeInteger(entry.t)) integral = false;
    }
    // Times as differences to the previous one (exact for integers: ms timestamps are).
    if (integral) for (let i = n - 1; i > 0; i--) times[i] -= times[i - 1];
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
interface EncodedState<V, A> {
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
interface LegacyState<V, A> {
  events: Array<[number, V]>;
  sessions: Array<Session<A>>;
}

function encodeSession<A>(s: Session<A>): EncodedSession<A> {
  const out: EncodedSession<A> = { s: s.start, l: s.last, c: s.count, a: s.agg };
  if (s.alt !== undefined) out.x = s.alt;
  return out;
}

function decodeSession<A>(e: EncodedSession<A>): Session<A> {
  const out: Session<A> = { start: e.s, last: e.l, count: e.c, agg: e.a };
  if (e.x !== undefined) out.alt = e.x;
  return out;
}

/** The session as a re-segmentation sees it. */
const plain = <A>(s: Session<A>): Session<A> => (s.alt === undefined ? s : { start: s.start, last: s.last, count: s.count, agg: s.alt });

/**
 * Session windows with an inactivity gap and a maximum length. Sessions are the sequential reading
 * of the key's records in event-time order, so out-of-order input (within the allowed lateness)
 * gives exactly the in-order result: such a record re-segments the key's records newer than the
 * watermark (see KeyState).
 */
export function sessionAggregateNode<V, A>(name: string, o: SessionAggregateOptions<V, A>): NodeDefinition {
  const storeName = o.store ?? `${name}-store`;
  const maxDuration = o.maxDurationMs ?? Number.POSITIVE_INFINITY;
  const closesAt = (s: Session<A>) => Math.min(s.last + o.gapMs, s.start + maxDuration);
  const startsNew = (s: Session<A>, t: number) => t - s.last >= o.gapMs || t - s.start >= maxDuration;
  const asRec = (key: string, t: number, v: V): Rec<V> => ({ key, timestamp: t, value: v });

  /** The session after `cur` (null: none) takes the record: cur grown, or a new session. */
  const step = (cur: Session<A> | null, t: number, v: V, rec: Rec<V>): Session<A> =>
    cur !== null && !startsNew(cur, t)
      ? { start: cur.start, last: t, count: cur.count + 1, agg: o.aggregator(cur.agg, v, rec) }
      : { start: t, last: t, count: 1, agg: o.aggregator(o.initializer(), v, rec) };

  /** Sessions from `base` on over `records` (time order), and the tail entries they make. */
  const resegment = (key: string, base: Session<A> | null, records: Iterable<[number, V]>) => {
    const sessions: Array<Session<A>> = [];
    const tail: Array<TailEntry<V>> = [];
    let cur = base && plain(base);
    for (const [t, v] of records) {
      const s = step(cur, t, v, asRec(key, t, v));
      if (cur && s.count === 1) sessions.push(cur);
      tail.push({ t, v });
      cur = s;
    }
    if (cur) sessions.push(cur);
    return { sessions, tail };
  };

  const tailValues = (raw: EncodedState<V, A>): V[] => {
    if (raw.ec === undefined) return raw.e!;
    if (!o.tailCodec) throw new StateFormatError(`${name}: stored state has an encoded tail but the node has no tailCodec`);
    return o.tailCodec.decode(raw.ec);
  };

  const decode = (key: string, raw: EncodedState<V, A> | LegacyState<V, A>): KeyState<V, A> => {
    if ('events' in raw) return new KeyState(raw.sessions, null, resegment(key, null, raw.events).tail, 0, o.tailCodec);
    const base = raw.b && decodeSession(raw.b);
    let t = 0;
    const times = raw.dt ? raw.dt.map((d, i) => (t = i === 0 ? d : t + d)) : raw.t!;
    const values = tailValues(raw);
    const { tail } = resegment(key, base, times.map((time, i) => [time, values[i]] as [number, V]));
    return new KeyState(raw.s.map(decodeSession), base, tail, 0, o.tailCodec);
  };

  return {
    name,
    stores: [storeName],
    create(ctx) {
      const store = ctx.store<KeyState<V, A> | EncodedState<V, A> | LegacyState<V, A>>(storeName);
      /** The key's state as a KeyState: a restored (stored-form) value is decoded once, in place. */
      const load = (key: string): KeyState<V, A> | undefined => {
        const raw = store.get(key);
        if (raw === undefined || raw instanceof KeyState) return raw;
        const st = decode(key, raw);
        store.restore(key, st); // the same committed state, in its in-memory form
        return st;
      };
      /** Registers how to put `st` back as it is now, should the current step fail. */
      const undoable = (st: KeyState<V, A>) => {
        const { sessions, tail, head, base } = st;
        const sLen = sessions.length;
        const sLast = sessions[sLen - 1];
        const tLen = tail.length;
        ctx.onRollback(() => {
          sessions.length = sLen;
          if (sLen) sessions[sLen - 1] = sLast;
          tail.length = tLen;
          Object.assign(st, { sessions, tail, head, base });
        });
      };
      /**
       * Folds the tail records at or behind the watermark into base (they can no longer move): base
       * becomes the session of the last of them as of it, as a re-segmentation from base reads it.
       */
      const foldTo = (st: KeyState<V, A>, key: string, watermark: number | null) => {
        if (watermark === null || st.head >= st.tail.length || st.tail[st.head].t > watermark) return;
        undoable(st);
        const tail = st.tail;
        let h = st.head;
        let base = st.base && plain(st.base);
        for (; h < tail.length && tail[h].t <= watermark; h++) {
          const { t, v } = tail[h];
          base = step(base, t, v, asRec(key, t, v));
        }
        st.base = base;
        st.head = h;
        // Drop folded entries once they are half the array: amortised O(1), never a copy per record.
        if (h >= 16 && 2 * h >= tail.length) {
          st.tail = tail.slice(h);
          st.head = 0;
        }
      };

      // (close time, key) with the earliest scheduled time per key; other heap entries are stale.
      const closing = new MinHeap<string>();
      const scheduled = new Map<string, number>();
      const schedule = (key: string, at: number) => {
        const current = scheduled.get(key);
        if (current !== undefined && current <= at) return;
        scheduled.set(key, at);
        closing.push(at, key);
      };
      for (const key of [...store.entries()].map(([k]) => k)) {
        const st = load(key)!;
        if (st.sessions.length) schedule(key, closesAt(st.sessions[0]));
      }

      const emit = (key: string, s: Session<A>, final: boolean, retracted = false) =>
        ctx.forward({ key, timestamp: s.start, value: { key, start: s.start, last: s.last, count: s.count, value: s.agg, final, retracted } });

      /** In order (the common case): only the last session changes; O(1). */
      const append = (st: KeyState<V, A>, key: string, rec: Rec<V>): Session<A> => {
        const t = rec.timestamp;
        const cur = st.sessions[st.sessions.length - 1] ?? null;
        const s = step(cur, t, rec.value, rec);
        const joins = s.count > 1;
        // Keep what a later re-segmentation would fold, when it differs from what this fold saw.
        if (rec.key !== key || (joins && cur!.alt !== undefined)) {
          s.alt = o.aggregator(joins ? (cur!.alt ?? cur!.agg) : o.initializer(), rec.value, asRec(key, t, rec.value));
        }
        undoable(st);
        if (joins) st.sessions[st.sessions.length - 1] = s;
        else st.sessions.push(s);
        st.tail.push({ t, v: rec.value });
        return s;
      };

      /** Out of order: the tail is re-segmented from base, as the full re-segmentation would. */
      const insert = (st: KeyState<V, A>, key: string, t: number, value: V) => {
        const live = st.tail.slice(st.head);
        let i = live.length;
        while (i > 0 && live[i - 1].t > t) i--;
        const records = live.map((e) => [e.t, e.v] as [number, V]);
        records.splice(i, 0, [t, value]);
        const { sessions, tail } = resegment(key, st.base, records);
        const before = new Map(st.sessions.map((s) => [s.start, s]));
        const changed = sessions.filter((s) => {
          const b = before.get(s.start);
          return !b || b.last !== s.last || b.count !== s.count;
        });
        const starts = new Set(sessions.map((s) => s.start));
        const retracted = st.sessions.filter((s) => !starts.has(s.start));
        undoable(st);
        Object.assign(st, { sessions, tail, head: 0 });
        return { changed, retracted };
      };

      return {
        process(rec) {
          const value = rec.value as V;
          const key = o.groupKey ? o.groupKey(value, rec as Rec<V>) : (rec.key ?? '');
          const t = rec.timestamp;
          let st = load(key);
          if (st) foldTo(st, key, ctx.watermark());
          else st = new KeyState<V, A>([], null, [], 0, o.tailCodec);
          const last = st.sessions[st.sessions.length - 1];
          let changed: Array<Session<A>>;
          let retracted: Array<Session<A>> = [];
          if (!last || t >= last.last) changed = [append(st, key, rec as Rec<V>)];
          else ({ changed, retracted } = insert(st, key, t, value));
          store.put(key, st);
          schedule(key, closesAt(st.sessions[0]));
          if (o.emit !== 'update') return;
          for (const s of retracted) emit(key, s, false, true);
          for (const s of changed) emit(key, s, false);
        },

        onWatermark(watermark) {
          for (let top = closing.peek(); top && top.p <= watermark; top = closing.peek()) {
            closing.pop();
            if (scheduled.get(top.v) !== top.p) continue; // superseded entry
            scheduled.delete(top.v);
            const st = load(top.v);
            if (!st || st.sessions.length === 0) continue;
            let closed = 0;
            while (closed < st.sessions.length && closesAt(st.sessions[closed]) <= watermark) closed++;
            if (closed === 0) {
              // The session grew since this was scheduled.
              schedule(top.v, closesAt(st.sessions[0]));
              continue;
            }
            for (const s of st.sessions.slice(0, closed)) emit(top.v, s, true);
            if (closed === st.sessions.length) {
              store.delete(top.v);
              continue;
            }
            // The closed sessions' records are all behind the watermark: folded, and so dropped.
            foldTo(st, top.v, watermark);
            undoable(st);
            st.sessions = st.sessions.slice(closed);
            if (st.base && st.base.start < st.sessions[0].start) st.base = null; // base's session closed
            store.put(top.v, st);
            schedule(top.v, closesAt(st.sessions[0]));
          }
        },
      };
    },
  };
}
