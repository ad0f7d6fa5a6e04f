import { MinHeap } from '../min-heap';
import { NodeDefinition, Rec } from '../topology';

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

interface Session<A> {
  start: number;
  last: number;
  count: number;
  agg: A;
}

/** The open part of one key: its records in event-time order and the sessions they form. */
interface KeyState<V, A> {
  events: Array<[number, V]>;
  sessions: Array<Session<A>>;
}

/**
 * Session windows with an inactivity gap and a maximum length. Sessions are the sequential reading
 * of the key's records in event-time order, so out-of-order input (within the allowed lateness)
 * gives exactly the in-order result: such a record re-segments the key's open records.
 */
export function sessionAggregateNode<V, A>(name: string, o: SessionAggregateOptions<V, A>): NodeDefinition {
  const storeName = o.store ?? `${name}-store`;
  const maxDuration = o.maxDurationMs ?? Number.POSITIVE_INFINITY;
  const closesAt = (s: Session<A>) => Math.min(s.last + o.gapMs, s.start + maxDuration);
  const startsNew = (s: Session<A>, t: number) => t - s.last >= o.gapMs || t - s.start >= maxDuration;
  const asRec = (key: string, t: number, v: V): Rec<V> => ({ key, timestamp: t, value: v });

  return {
    name,
    stores: [storeName],
    create(ctx) {
      const store = ctx.store<KeyState<V, A>>(storeName);
      // (close time, key) with the earliest scheduled time per key; other heap entries are stale.
      const closing = new MinHeap<string>();
      const scheduled = new Map<string, number>();
      const schedule = (key: string, at: number) => {
        const current = scheduled.get(key);
        if (current !== undefined && current <= at) return;
        scheduled.set(key, at);
        closing.push(at, key);
      };
      for (const [key, st] of store.entries()) if (st.sessions.length) schedule(key, closesAt(st.sessions[0]));

      const segment = (key: string, events: Array<[number, V]>): Array<Session<A>> => {
        const out: Array<Session<A>> = [];
        for (const [t, v] of events) {
          const cur = out[out.length - 1];
          if (!cur || startsNew(cur, t)) out.push({ start: t, last: t, count: 1, agg: o.aggregator(o.initializer(), v, asRec(key, t, v)) });
          else {
            cur.agg = o.aggregator(cur.agg, v, asRec(key, t, v));
            cur.last = t;
            cur.count++;
          }
        }
        return out;
      };

      const emit = (key: string, s: Session<A>, final: boolean, retracted = false) =>
        ctx.forward({ key, timestamp: s.start, value: { key, start: s.start, last: s.last, count: s.count, value: s.agg, final, retracted } });

      return {
        process(rec) {
          const value = rec.value as V;
          const key = o.groupKey ? o.groupKey(value, rec as Rec<V>) : (rec.key ?? '');
          const t = rec.timestamp;
          const prev = store.get(key) ?? { events: [], sessions: [] };
          const lastT = prev.events.length ? prev.events[prev.events.length - 1][0] : Number.NEGATIVE_INFINITY;
          let next: KeyState<V, A>;
          let changed: Array<Session<A>>;
          let retracted: Array<Session<A>> = [];
          if (t >= lastT) {
            // In order (the common case): only the last session changes. The stored state is never
            // mutated (a new one replaces it), so a failed attempt anywhere downstream rolls back.
            const cur = prev.sessions[prev.sessions.length - 1];
            const extend = cur !== undefined && !startsNew(cur, t);
            const agg = o.aggregator(extend ? cur.agg : o.initializer(), value, rec as Rec<V>);
            const sessions = extend ? prev.sessions.slice(0, -1) : prev.sessions.slice();
            sessions.push(extend ? { start: cur.start, last: t, count: cur.count + 1, agg } : { start: t, last: t, count: 1, agg });
            const events = prev.events.slice();
            events.push([t, value]);
            next = { events, sessions };
            changed = [sessions[sessions.length - 1]];
          } else {
            const events = prev.events.slice();
            let i = events.length;
            while (i > 0 && events[i - 1][0] > t) i--;
            events.splice(i, 0, [t, value]);
            const sessions = segment(key, events);
            const before = new Map(prev.sessions.map((s) => [s.start, s]));
            changed = sessions.filter((s) => {
              const b = before.get(s.start);
              return !b || b.last !== s.last || b.count !== s.count;
            });
            const starts = new Set(sessions.map((s) => s.start));
            retracted = prev.sessions.filter((s) => !starts.has(s.start));
            next = { events, sessions };
          }
          store.put(key, next);
          schedule(key, closesAt(next.sessions[0]));
          if (o.emit !== 'update') return;
          for (const s of retracted) emit(key, s, false, true);
          for (const s of changed) emit(key, s, false);
        },

        onWatermark(watermark) {
          for (let top = closing.peek(); top && top.p <= watermark; top = closing.peek()) {
            closing.pop();
            if (scheduled.get(top.v) !== top.p) continue; // superseded entry
            scheduled.delete(top.v);
            const st = store.get(top.v);
            if (!st || st.sessions.length === 0) continue;
            let closed = 0;
            while (closed < st.sessions.length && closesAt(st.sessions[closed]) <= watermark) closed++;
            if (closed === 0) {
              // The session grew since this was scheduled.
              schedule(top.v, closesAt(st.sessions[0]));
              continue;
            }
            const done = st.sessions.slice(0, closed);
            const rest = st.sessions.slice(closed);
            for (const s of done) emit(top.v, s, true);
            if (rest.length === 0) {
              store.delete(top.v);
              continue;
            }
            const events = st.events.filter(([t]) => t >= rest[0].start);
            store.put(top.v, { events, sessions: rest });
            schedule(top.v, closesAt(rest[0]));
          }
        },
      };
    },
  };
}
