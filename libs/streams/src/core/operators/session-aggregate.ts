import { MinHeap } from '../min-heap';
import { decodeStateBytes, encodeStateBytes, SessionBytesCodec } from './session-aggregate-bytes';
import { NodeDefinition, NodeInstance, ProcessorContext, Rec } from '../processor';
import { KeyValueStore } from '../store';
import {
  decodeSession,
  KeyState,
  plainSession,
  Session,
  StateFormatError,
  StoredState,
  TailCodec,
  TailEntry,
  tailTimes,
  tailValues,
} from './session-aggregate-state';

export { StateFormatError } from './session-aggregate-state';
export type { TailCodec } from './session-aggregate-state';
export type { SessionBytesCodec } from './session-aggregate-bytes';

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
  /**
   * Stores each key's state as bytes in this layout instead of JSON (states stored as JSON by an
   * earlier version are still read). Under live cardinality the JSON was nearly half the
   * sessionizer's CPU per event: every commit rewrites each touched key's state.
   */
  bytesCodec?: SessionBytesCodec<V, A>;
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

const asRec = <V>(key: string, time: number, value: V): Rec<V> => ({ key, timestamp: time, value });

/**
 * Session windows with an inactivity gap and a maximum length. Sessions are the sequential reading
 * of the key's records in event-time order, so out-of-order input (within the allowed lateness)
 * gives exactly the in-order result: such a record re-segments the key's records newer than the
 * watermark (see KeyState).
 */
export function sessionAggregateNode<V, A>(
  name: string,
  options: SessionAggregateOptions<V, A>,
): NodeDefinition {
  const storeName = options.store ?? `${name}-store`;
  // One per node definition: its tasks' instances share it (it holds no state of theirs).
  const rules = new SessionRules(name, options);
  return {
    name,
    stores: [storeName],
    create(ctx) {
      return new SessionAggregateInstance(
        ctx,
        ctx.store<StoredState<V, A>>(storeName),
        rules,
        options,
      );
    },
  };
}

/** How records make sessions (the sequential reading), and decoding a stored state into them. */
class SessionRules<V, A> {
  private readonly maxDuration: number;
  /** The node's byte layout for a key's state, if it has one. */
  readonly toBytes?: (state: KeyState<V, A>) => Buffer;

  constructor(
    private readonly name: string,
    private readonly options: SessionAggregateOptions<V, A>,
  ) {
    this.maxDuration = options.maxDurationMs ?? Number.POSITIVE_INFINITY;
    const bytes = options.bytesCodec;
    if (bytes) this.toBytes = (state) => encodeStateBytes(state, bytes);
  }

  closesAt(session: Session<A>): number {
    return Math.min(session.last + this.options.gapMs, session.start + this.maxDuration);
  }

  startsNew(session: Session<A>, time: number): boolean {
    return time - session.last >= this.options.gapMs || time - session.start >= this.maxDuration;
  }

  /** The session after `cur` (null: none) takes the record: cur grown, or a new session. */
  step(cur: Session<A> | null, time: number, value: V, rec: Rec<V>): Session<A> {
    const { options } = this;
    return cur !== null && !this.startsNew(cur, time)
      ? {
          start: cur.start,
          last: time,
          count: cur.count + 1,
          agg: options.aggregator(cur.agg, value, rec),
        }
      : {
          start: time,
          last: time,
          count: 1,
          agg: options.aggregator(options.initializer(), value, rec),
        };
  }

  /** Sessions from `base` on over `records` (time order), and the tail entries they make. */
  resegment(key: string, base: Session<A> | null, records: Iterable<[number, V]>) {
    const sessions: Array<Session<A>> = [];
    const tail: Array<TailEntry<V>> = [];
    let cur = base && plainSession(base);
    for (const [time, value] of records) {
      const next = this.step(cur, time, value, asRec(key, time, value));
      if (cur && next.count === 1) sessions.push(cur);
      tail.push({ time, value });
      cur = next;
    }
    if (cur) sessions.push(cur);
    return { sessions, tail };
  }

  /** A stored form as a KeyState, as the node kept it. */
  decode(raw: Exclude<StoredState<V, A>, KeyState<V, A>>): KeyState<V, A> {
    if (raw instanceof Uint8Array) {
      const bytesCodec = this.options.bytesCodec;
      if (!bytesCodec)
        throw new StateFormatError(
          `${this.name}: stored state is bytes but the node has no bytesCodec`,
        );
      const { sessions, base, times, values } = decodeStateBytes(raw, bytesCodec);
      return this.keyState(sessions, base, times, values);
    }
    if ('events' in raw)
      return this.keyState(
        raw.sessions,
        null,
        raw.events.map(([time]) => time),
        raw.events.map(([, value]) => value),
      );
    return this.keyState(
      raw.s.map(decodeSession),
      raw.b && decodeSession(raw.b),
      tailTimes(raw),
      tailValues(raw, this.options.tailCodec, this.name),
    );
  }

  /**
   * A key's state from its stored parts, in whichever form they were stored. The stored sessions
   * are the ones the node kept, so the tail is only its records again (no fold: a state at rest is
   * decoded on every record that finds it so, under live cardinality nearly every record).
   */
  private keyState(
    sessions: Array<Session<A>>,
    base: Session<A> | null,
    times: number[],
    values: V[],
  ): KeyState<V, A> {
    const tail = new Array<TailEntry<V>>(times.length);
    for (let index = 0; index < times.length; index++)
      tail[index] = { time: times[index], value: values[index] };
    return new KeyState(sessions, base, tail, 0, this.options.tailCodec, this.toBytes);
  }
}

/** The node in one task: its keys' states in the store, and when each key's first session closes. */
class SessionAggregateInstance<V, A> implements NodeInstance {
  // (close time, key) with the earliest scheduled time per key; other heap entries are stale.
  private readonly closing = new MinHeap<string>();
  private readonly scheduled = new Map<string, number>();

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly store: KeyValueStore<StoredState<V, A>>,
    private readonly rules: SessionRules<V, A>,
    private readonly options: SessionAggregateOptions<V, A>,
  ) {
    for (const [key, raw] of store.entries()) {
      const state = raw instanceof KeyState ? raw : rules.decode(raw);
      if (state.sessions.length) this.schedule(key, rules.closesAt(state.sessions[0]));
    }
  }

  process(rec: Rec): void {
    const { options } = this;
    const value = rec.value as V;
    const key = options.groupKey ? options.groupKey(value, rec as Rec<V>) : (rec.key ?? '');
    const time = rec.timestamp;
    let state = this.load(key);
    if (state) this.foldTo(state, key, this.ctx.watermark());
    else state = new KeyState<V, A>([], null, [], 0, options.tailCodec, this.rules.toBytes);
    const last = state.sessions[state.sessions.length - 1];
    let changed: Array<Session<A>>;
    let retracted: Array<Session<A>> = [];
    if (!last || time >= last.last) changed = [this.append(state, key, rec as Rec<V>)];
    else ({ changed, retracted } = this.insert(state, key, time, value));
    this.store.put(key, state);
    this.schedule(key, this.rules.closesAt(state.sessions[0]));
    if (options.emit !== 'update') return;
    for (const session of retracted) this.emit(key, session, false, true);
    for (const session of changed) this.emit(key, session, false);
  }

  /**
   * The keys a failed step's rollback put back: each is scheduled again by its restored state (the
   * step may have scheduled it earlier, or closed it). Other keys' schedules are as before the step
   * (onWatermark's undo puts back what it popped); an entry made stale is skipped when popped.
   */
  restored(keys: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const key of keys.get(this.store.name) ?? []) {
      this.scheduled.delete(key);
      const state = this.load(key);
      if (state && state.sessions.length)
        this.schedule(key, this.rules.closesAt(state.sessions[0]));
    }
  }

  onWatermark(watermark: number): void {
    const { closing, scheduled } = this;
    let popped: Array<[string, number]> | undefined;
    for (let top = closing.peek(); top && top.p <= watermark; top = closing.peek()) {
      closing.pop();
      if (scheduled.get(top.v) !== top.p) continue; // superseded entry
      scheduled.delete(top.v);
      if (!popped) {
        // Should the step fail, the schedules it popped come back (restored() then redoes the
        // keys whose states it put back); registered before the first close writes anything.
        const undo: Array<[string, number]> = (popped = []);
        this.ctx.onRollback(() => {
          for (const [key, at] of undo) {
            scheduled.set(key, at);
            closing.push(at, key);
          }
        });
      }
      popped.push([top.v, top.p]);
      this.closeDue(top.v, watermark);
    }
  }

  /** Emits and drops the key's sessions the watermark closes; schedules the next close. */
  private closeDue(key: string, watermark: number): void {
    const state = this.load(key);
    if (!state || state.sessions.length === 0) return;
    const { rules } = this;
    let closed = 0;
    while (closed < state.sessions.length && rules.closesAt(state.sessions[closed]) <= watermark)
      closed++;
    if (closed === 0) {
      // The session grew since this was scheduled.
      this.schedule(key, rules.closesAt(state.sessions[0]));
      return;
    }
    for (const session of state.sessions.slice(0, closed)) this.emit(key, session, true);
    if (closed === state.sessions.length) {
      this.store.delete(key);
      return;
    }
    // The closed sessions' records are all behind the watermark: folded, and so dropped.
    this.foldTo(state, key, watermark);
    this.undoable(state);
    state.sessions = state.sessions.slice(closed);
    if (state.base && state.base.start < state.sessions[0].start) state.base = null; // base's session closed
    this.store.put(key, state);
    this.schedule(key, rules.closesAt(state.sessions[0]));
  }

  /**
   * The key's state as a KeyState. A stored form (after a restore, or the bytes a state rests as
   * once its commit is taken) is decoded but not put back: every caller that changes the state
   * puts it, and one that does not leaves the key at rest.
   */
  private load(key: string): KeyState<V, A> | undefined {
    const raw = this.store.get(key);
    if (raw === undefined || raw instanceof KeyState) return raw;
    return this.rules.decode(raw);
  }

  /** Registers how to put `state` back as it is now, should the current step fail. */
  private undoable(state: KeyState<V, A>): void {
    const { sessions, tail, head, base } = state;
    const sessionCount = sessions.length;
    const lastSession = sessions[sessionCount - 1];
    const tailLength = tail.length;
    this.ctx.onRollback(() => {
      sessions.length = sessionCount;
      if (sessionCount) sessions[sessionCount - 1] = lastSession;
      tail.length = tailLength;
      Object.assign(state, { sessions, tail, head, base });
    });
  }

  /**
   * Folds the tail records at or behind the watermark into base (they can no longer move): base
   * becomes the session of the last of them as of it, as a re-segmentation from base reads it.
   */
  private foldTo(state: KeyState<V, A>, key: string, watermark: number | null): void {
    if (
      watermark === null ||
      state.head >= state.tail.length ||
      state.tail[state.head].time > watermark
    )
      return;
    this.undoable(state);
    const tail = state.tail;
    let head = state.head;
    let base = state.base && plainSession(state.base);
    for (; head < tail.length && tail[head].time <= watermark; head++) {
      const { time, value } = tail[head];
      base = this.rules.step(base, time, value, asRec(key, time, value));
    }
    state.base = base;
    state.head = head;
    // Drop folded entries once they are a quarter of the array: a trim copies at most three kept
    // entries per folded one (amortised O(1), never a copy per record). At a half, an open
    // session held as many folded entries as live ones, and a soak's heap grew by them for minutes.
    if (head >= 4 && 4 * head >= tail.length) {
      state.tail = tail.slice(head);
      state.head = 0;
    }
  }

  private schedule(key: string, at: number): void {
    const current = this.scheduled.get(key);
    if (current !== undefined && current <= at) return;
    this.scheduled.set(key, at);
    this.closing.push(at, key);
  }

  private emit(key: string, session: Session<A>, final: boolean, retracted = false): void {
    const { start, last, count, agg } = session;
    this.ctx.forward({
      key,
      timestamp: start,
      value: { key, start, last, count, value: agg, final, retracted },
    });
  }

  /** In order (the common case): only the last session changes; O(1). */
  private append(state: KeyState<V, A>, key: string, rec: Rec<V>): Session<A> {
    const { options } = this;
    const time = rec.timestamp;
    const cur = state.sessions[state.sessions.length - 1] ?? null;
    const next = this.rules.step(cur, time, rec.value, rec);
    const joins = next.count > 1;
    // Keep what a later re-segmentation would fold, when it differs from what this fold saw.
    if (rec.key !== key || (joins && cur!.alt !== undefined)) {
      const from = joins ? (cur!.alt ?? cur!.agg) : options.initializer();
      next.alt = options.aggregator(from, rec.value, asRec(key, time, rec.value));
    }
    this.undoable(state);
    if (joins) state.sessions[state.sessions.length - 1] = next;
    else state.sessions.push(next);
    state.tail.push({ time, value: rec.value });
    return next;
  }

  /** Out of order: the tail is re-segmented from base, as the full re-segmentation would. */
  private insert(state: KeyState<V, A>, key: string, time: number, value: V) {
    const live = state.tail.slice(state.head);
    let at = live.length;
    while (at > 0 && live[at - 1].time > time) at--;
    const records = live.map((entry) => [entry.time, entry.value] as [number, V]);
    records.splice(at, 0, [time, value]);
    const { sessions, tail } = this.rules.resegment(key, state.base, records);
    const before = new Map(state.sessions.map((session) => [session.start, session]));
    const changed = sessions.filter((session) => {
      const previous = before.get(session.start);
      return !previous || previous.last !== session.last || previous.count !== session.count;
    });
    const starts = new Set(sessions.map((session) => session.start));
    const retracted = state.sessions.filter((session) => !starts.has(session.start));
    this.undoable(state);
    Object.assign(state, { sessions, tail, head: 0 });
    return { changed, retracted };
  }
}
