import { createHash } from 'node:crypto';
import {
  ClickEvent,
  EVENT_TYPES as CONTRACT_EVENT_TYPES,
  EventType,
  FUNNEL_STAGES as CONTRACT_FUNNEL_STAGES,
  funnelStageOf,
  purchaseCents,
  SessionRow,
} from '@clickstream/contracts';
import {
  ByteFormatError,
  PoisonError,
  SessionBytesCodec,
  SessionResult,
  TailCodec,
} from '@clickstream/streams';

// Module-local bindings: the compiled CommonJS reads a package index's export through a getter on
// every access, and these are read per event and per stored tail record (the getter alone was
// 1.5 % of the sessionizer's topology CPU under live cardinality: BENCHMARKS.md, 2026-12-07, night).
const EVENT_TYPES = CONTRACT_EVENT_TYPES;
const FUNNEL_STAGES = CONTRACT_FUNNEL_STAGES;

/**
 * What a session needs of an event: kept small because an open session stores its events newer than
 * the watermark (up to rate × allowed lateness of them for one busy user).
 */
export interface SessionEvent {
  type: EventType;
  /** price × quantity in cents, for purchases only (exact sums, no float drift); absent: 0. */
  cents?: number;
  csid?: string;
}

export interface SessionAggregate {
  /**
   * The session's count of each event type, in EVENT_TYPES order. An array, not an object by type
   * name: copying it per event was the fold's largest cost, and it is half the JSON. Stored
   * aggregates of older versions have the object form, which countsOf reads.
   */
  counts: SessionCounts;
  revenueCents: number;
  /** Index into FUNNEL_STAGES. */
  stage: number;
  clientSessionIds: string[];
}

/** Counts in EVENT_TYPES order, or (stored by older versions) by type name. */
export type SessionCounts = number[] | Partial<Record<EventType, number>>;

/**
 * The counts in EVENT_TYPES order, whichever form they were stored in. EVENT_TYPES' order is part
 * of the stored form (as the tail codec's type indexes are): a new type goes at its end, and a
 * shorter stored array reads as 0 for it.
 */
export function countsOf(counts: SessionCounts): number[] {
  if (!Array.isArray(counts)) return EVENT_TYPES.map((type) => counts[type] ?? 0);
  return counts.length >= EVENT_TYPES.length ? counts : EVENT_TYPES.map((_, i) => counts[i] ?? 0);
}

/** Bounded: a client that rotates its session id per event must not grow the state without end. */
export const MAX_CLIENT_SESSION_IDS = 50;

/** EVENT_TYPES' own strings, by value. */
const CANONICAL_TYPE = new Map<string, EventType>(EVENT_TYPES.map((type) => [type, type]));

/**
 * Each shape is one literal: a property added after the literal goes to an out-of-object property
 * array, about 40 bytes more per event that an open session holds (a heap snapshot of a soak found
 * one per tail entry).
 */
export function toSessionEvent(e: ClickEvent): SessionEvent {
  // The type as EVENT_TYPES' own string: every later lookup of it (each commit rewrites the tail)
  // is then a comparison of one pointer, not of the characters of a string JSON.parse made.
  const type = CANONICAL_TYPE.get(e.event_type) ?? e.event_type;
  const csid = e.client_session_id;
  if (type === 'purchase' && e.price !== undefined) {
    const cents = purchaseCents(e);
    return csid === undefined ? { type, cents } : { type, cents, csid };
  }
  return csid === undefined ? { type } : { type, csid };
}

/**
 * toSessionEvent with each client session id held once. A session's events mostly repeat one id,
 * and each event parsed its own copy: a tail held one string per event, and every commit read them
 * all again to store the tail (7.3 → 4.8 µs per stored state in bench:session-cpu, BENCHMARKS.md
 * 2026-12-04). At most `maxIds` ids are held; a full table starts over (the values stay the same).
 */
export function internedSessionEvents(maxIds = 100_000): (e: ClickEvent) => SessionEvent {
  const held = new Map<string, string>();
  return (e) => {
    const out = toSessionEvent(e);
    if (out.csid === undefined) return out;
    const id = held.get(out.csid);
    if (id !== undefined) out.csid = id;
    else {
      if (held.size >= maxIds) held.clear();
      held.set(out.csid, out.csid);
    }
    return out;
  };
}

/**
 * Stored form of a user's events newer than the watermark (up to 2 min of them by default): event
 * type indexes, the client session ids once each, and the purchases' cents by position. The plain
 * form repeated a 36-character client session id per event, and every commit rewrites the tail of
 * each user it touches.
 */
export interface EncodedSessionEvents {
  /** Index into EVENT_TYPES, per event. */
  t: number[];
  /** Distinct client session ids. */
  k?: string[];
  /** Per event, its index into `k` or -1; absent when every event has k[0]. */
  i?: number[];
  /** [position, cents] of each event with cents. */
  c?: Array<[number, number]>;
}

const EVENT_TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((type, n) => [type, n]));
/**
 * Each event type's funnel stage (index into FUNNEL_STAGES). One funnel definition for the whole
 * platform (contracts): a product `view` counts, a page_view not.
 */
const STAGE_OF_TYPE = EVENT_TYPES.map((type) => FUNNEL_STAGES.indexOf(funnelStageOf(type)));

export const sessionEventsCodec: TailCodec<SessionEvent> = {
  encode(events) {
    const t = new Array<number>(events.length);
    const k: string[] = [];
    const i = new Array<number>(events.length);
    const c: Array<[number, number]> = [];
    let onlyFirstId = true;
    let anyId = false;
    for (let n = 0; n < events.length; n++) {
      const e = events[n];
      const type = EVENT_TYPE_INDEX.get(e.type);
      if (type === undefined)
        throw new Error(`session event: unknown event_type ${JSON.stringify(e.type)}`);
      t[n] = type;
      let id = -1;
      if (e.csid !== undefined) {
        id = k.indexOf(e.csid);
        if (id < 0) id = k.push(e.csid) - 1;
        anyId = true;
      }
      if (id !== 0) onlyFirstId = false;
      i[n] = id;
      if (e.cents !== undefined) c.push([n, e.cents]);
    }
    const out: EncodedSessionEvents = { t };
    if (k.length) out.k = k;
    if (!(k.length === 1 && onlyFirstId) && anyId) out.i = i;
    if (c.length) out.c = c;
    return out;
  },
  decode(encoded) {
    const { t, k, i, c } = encoded as EncodedSessionEvents;
    const cents = new Map(c ?? []);
    return t.map((index, n): SessionEvent => {
      const type = EVENT_TYPES[index];
      const at = cents.get(n);
      const id = k === undefined ? -1 : i === undefined ? 0 : i[n];
      if (id < 0) return at === undefined ? { type } : { type, cents: at };
      const csid = k![id];
      return at === undefined ? { type, csid } : { type, cents: at, csid };
    });
  },
};

/**
 * The session window's state as bytes (the node's bytesCodec): every commit rewrites the state of
 * each user it touched, and its JSON was nearly half the sessionizer's CPU per event under live
 * cardinality (BENCHMARKS.md, 2026-12-06). The tail run: each event's type index, the distinct
 * client session ids once, each event's index into them plus 1 (0: none), and the purchases' cents by
 * position. Cents and revenue are integers (purchaseCents); anything else is written as a float.
 */
export const sessionBytesCodec: SessionBytesCodec<SessionEvent, SessionAggregate> = {
  aggregate: {
    write(out, agg) {
      const counts = countsOf(agg.counts);
      out.uint(counts.length);
      for (const count of counts) out.uint(count);
      out.number(agg.revenueCents);
      out.uint(agg.stage);
      out.uint(agg.clientSessionIds.length);
      for (const id of agg.clientSessionIds) out.string(id);
    },
    read(input) {
      const counts = new Array<number>(input.uint());
      for (let n = 0; n < counts.length; n++) counts[n] = input.uint();
      const revenueCents = input.number();
      const stage = input.uint();
      const clientSessionIds = new Array<string>(input.uint());
      for (let n = 0; n < clientSessionIds.length; n++) clientSessionIds[n] = input.string();
      return { counts: countsOf(counts), revenueCents, stage, clientSessionIds };
    },
  },
  tail: {
    write(out, events) {
      const ids: string[] = [];
      let purchases = 0;
      for (const e of events) {
        const type = EVENT_TYPE_INDEX.get(e.type);
        if (type === undefined)
          throw new Error(`session event: unknown event_type ${JSON.stringify(e.type)}`);
        out.uint(type);
        if (e.csid !== undefined && !ids.includes(e.csid)) ids.push(e.csid);
        if (e.cents !== undefined) purchases++;
      }
      out.uint(ids.length);
      for (const id of ids) out.string(id);
      if (ids.length)
        for (const e of events) out.uint(e.csid === undefined ? 0 : ids.indexOf(e.csid) + 1);
      out.uint(purchases);
      for (let n = 0; n < events.length && purchases > 0; n++) {
        const cents = events[n].cents;
        if (cents === undefined) continue;
        out.uint(n);
        out.number(cents);
      }
    },
    read(input, count) {
      const types = new Array<EventType>(count);
      for (let n = 0; n < count; n++) {
        const index = input.uint();
        if (index >= EVENT_TYPES.length)
          throw new ByteFormatError(
            `stored session event type ${index} is not known to this build`,
          );
        types[n] = EVENT_TYPES[index];
      }
      const ids = new Array<string>(input.uint());
      for (let n = 0; n < ids.length; n++) ids[n] = input.string();
      const idOf = new Array<number>(count).fill(0);
      if (ids.length) for (let n = 0; n < count; n++) idOf[n] = input.uint();
      const cents = new Map<number, number>();
      for (let left = input.uint(); left > 0; left--) cents.set(input.uint(), input.number());
      return types.map((type, n): SessionEvent => {
        const at = cents.get(n);
        if (idOf[n] === 0) return at === undefined ? { type } : { type, cents: at };
        const csid = ids[idOf[n] - 1];
        if (csid === undefined)
          throw new ByteFormatError(`stored client session id ${idOf[n]} missing`);
        return at === undefined ? { type, csid } : { type, cents: at, csid };
      });
    },
  },
};

export const initialSession = (): SessionAggregate => ({
  counts: EVENT_TYPES.map(() => 0),
  revenueCents: 0,
  stage: 0,
  clientSessionIds: [],
});

/**
 * Pure fold: returns a new aggregate, the input stays as it was. An event type the sessionizer does
 * not know (a producer newer than this build) is poison: dead-lettered at once with its reason.
 */
export function addToSession(agg: SessionAggregate, e: SessionEvent): SessionAggregate {
  const type = EVENT_TYPE_INDEX.get(e.type);
  if (type === undefined)
    throw new PoisonError(
      'unknown_event_type',
      `session event: event_type ${JSON.stringify(e.type)} is not one of ${EVENT_TYPES.join(', ')}`,
    );
  const stored = countsOf(agg.counts);
  const counts = stored === agg.counts ? stored.slice() : stored;
  counts[type]++;
  const csids =
    e.csid !== undefined &&
    !agg.clientSessionIds.includes(e.csid) &&
    agg.clientSessionIds.length < MAX_CLIENT_SESSION_IDS
      ? [...agg.clientSessionIds, e.csid]
      : agg.clientSessionIds;
  return {
    counts,
    revenueCents: agg.revenueCents + (e.cents ?? 0), // stored events of older versions carry 0
    stage: Math.max(agg.stage, STAGE_OF_TYPE[type]),
    clientSessionIds: csids,
  };
}

/** Deterministic from user and start: the same session gets the same id on every replay. */
export function sessionId(userId: string, startMs: number): string {
  const h = createHash('sha256').update(`${userId}\u0000${startMs}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * sessionId with a memo of each user's latest session: under live traffic every commit rewrites the
 * open session row of each user it touched, and hashing its id was ~3 % of the sessionizer's time.
 * At most `maxUsers` entries: a full memo starts over (the ids stay the same, only recomputed).
 */
export function memoSessionId(maxUsers = 100_000): (userId: string, startMs: number) => string {
  const latest = new Map<string, { start: number; id: string }>();
  return (userId, startMs) => {
    const hit = latest.get(userId);
    if (hit?.start === startMs) return hit.id;
    const id = sessionId(userId, startMs);
    if (!hit && latest.size >= maxUsers) latest.clear();
    latest.set(userId, { start: startMs, id });
    return id;
  };
}

/**
 * The session as users see it (SPEC §5), a row of the contract's sessionRow. `closed_at` is the
 * event-time instant the session closed (last event + gap, or start + max duration), so replays
 * give identical rows.
 */
export function toSessionRow(
  r: SessionResult<SessionAggregate>,
  o: {
    gapMs: number;
    maxDurationMs: number;
    sessionIdOf?: (userId: string, startMs: number) => string;
  },
): SessionRow {
  const counts: Record<string, number> = {};
  const byType = countsOf(r.value.counts);
  for (let i = 0; i < EVENT_TYPES.length; i++) if (byType[i]) counts[EVENT_TYPES[i]] = byType[i];
  const stage = FUNNEL_STAGES[r.value.stage];
  return {
    session_id: (o.sessionIdOf ?? sessionId)(r.key, r.start),
    user_id: r.key,
    started_at: new Date(r.start).toISOString(),
    last_event_at: new Date(r.last).toISOString(),
    duration_s: (r.last - r.start) / 1000,
    event_count: r.count,
    event_counts: counts,
    revenue: r.value.revenueCents / 100,
    funnel_stage: stage,
    converted: stage === 'purchase',
    bounced: r.count === 1,
    client_session_ids: r.value.clientSessionIds,
    status: r.final ? 'closed' : 'open',
    closed_at: r.final
      ? new Date(Math.min(r.last + o.gapMs, r.start + o.maxDurationMs)).toISOString()
      : null,
  };
}
