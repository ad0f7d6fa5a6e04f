import { DedupeFilter } from './dedupe-filter';

/**
 * Deduplication of a source by an idempotency key (Snowplow's and Segment's event id, Spark's
 * `dropDuplicates` with a watermark), declared on the source: `b.stream(topic, { ..., dedupe })`.
 *
 * The first record of an id wins. A later record with the same id and the same fingerprint is a
 * duplicate: it changes nothing and is only counted. A later one with another fingerprint is a
 * conflict: dead-lettered. Ids are remembered for `horizonMs` of event time behind the partition's
 * watermark, so the remembered set is bounded by the watermark, not by the stream's length.
 *
 * Memory holds only what the last commits decided; the rest lives in Postgres (`stream_dedupe`),
 * written in the commit that moves the offset, so a restarted task decides exactly as before. The
 * runtime looks up each fetched batch's ids in one query before processing it (no await per record).
 */
export interface DedupeDefinition<V = unknown> {
  /** Names the dedupe in logs and describe(), e.g. `sessionizer-dedupe`. */
  name: string;
  /**
   * The idempotency key; null: the record is never a duplicate and is not remembered (e.g. its
   * producer marked in a header an id it minted itself, unique by construction).
   */
  id: (value: V, headers: RecordHeaders) => string | null;
  /**
   * A hash (a safe integer) of what must be equal for a repeat to be a duplicate rather than a
   * conflict, from the value or its serialised bytes.
   */
  fingerprint: (value: V, raw: Buffer) => number;
  /** How long an id is remembered behind the watermark, in event-time ms. */
  horizonMs: number;
}

/** A record's Kafka headers, as kafkajs decodes them (its `IHeaders`). */
export interface RecordHeaders {
  readonly [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** What a record without headers has. */
export const NO_HEADERS: RecordHeaders = Object.freeze({});

/** A remembered id: its content hash and event time. */
export interface DedupeEntry {
  fingerprint: number;
  eventTime: number;
}

export type DedupeVerdict =
  { kind: 'first' } | { kind: 'duplicate' } | { kind: 'conflict'; first: DedupeEntry };

// Shared verdicts: judge() runs once per record and allocates only for a conflict.
const FIRST: DedupeVerdict = Object.freeze({ kind: 'first' });
const DUPLICATE: DedupeVerdict = Object.freeze({ kind: 'duplicate' });

/**
 * Ids with their fingerprints and event times, as columns: one string and two unboxed numbers per
 * id instead of an entry object and two heap numbers. Pending ids wait for the commit (about a
 * second) and so outlive young-generation collections: each object they hold is copied and promoted
 * (BENCHMARKS.md, "Where the dense sessionizer's garbage collection goes").
 */
export interface DedupeRows {
  readonly ids: readonly string[];
  readonly fingerprints: readonly number[];
  readonly eventTimes: readonly number[];
}

/** The rows as [id, entry] pairs (for tests and the test driver, not the hot path). */
export const dedupeEntries = (rows: DedupeRows): Array<[string, DedupeEntry]> =>
  rows.ids.map((id, i) => [
    id,
    { fingerprint: rows.fingerprints[i], eventTime: rows.eventTimes[i] },
  ]);

/** What a commit writes: the ids first seen since the last commit, and the eviction bound. */
export interface DedupeCommit {
  remember: DedupeRows;
  /** Forget ids with an event time below this (watermark − horizon); null: nothing to forget. */
  forgetBefore: number | null;
}

/** Ids in the order first seen, each with its slot in the columns. */
class DedupeColumns implements DedupeRows {
  readonly ids: string[] = [];
  readonly fingerprints: number[] = [];
  readonly eventTimes: number[] = [];
  private readonly slots = new Map<string, number>();

  add(id: string, fingerprint: number, eventTime: number): void {
    this.slots.set(id, this.ids.length);
    this.ids.push(id);
    this.fingerprints.push(fingerprint);
    this.eventTimes.push(eventTime);
  }

  /** The id's slot, or -1. */
  slot(id: string): number {
    return this.slots.get(id) ?? -1;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }
}

const NONE = new DedupeColumns();

/**
 * One task's view of the ids it has seen: this commit's (pending), the previous commit's (maybe
 * still in flight), earlier ones taken since the last lookup (settled: in Postgres) and what
 * Postgres answered for the current batch (known). The runtime commits one at a time per task, so
 * when a commit is taken the one before it has finished: its ids are in Postgres and are answered
 * from memory until the next lookup, which asks Postgres about them. (A batch processed in chunks
 * can see several commits taken before its end, so settled is a list.)
 */
export class DedupeIndex {
  private pending = new DedupeColumns();
  private committing = NONE;
  private settled: DedupeColumns[] = [];
  private known = new Map<string, DedupeEntry>();
  /** The eviction bounds of the last two commits taken, the older first. */
  private forgotten: [number | null, number | null] = [null, null];

  /** `filter`: what the store may hold; ids it rules out are not looked up. */
  constructor(
    readonly definition: DedupeDefinition,
    readonly filter?: DedupeFilter,
  ) {}

  /**
   * Ids of `candidates` that the uncommitted ids cannot answer and the store may hold: the runtime
   * looks these up in Postgres. Committed ids (`settled`, `known`) are asked again (Postgres has
   * them): the earlier answer is dropped here, since with a filter a batch may need no lookup, and
   * learn() would then never replace it.
   */
  unknown(candidates: Iterable<string>): string[] {
    this.known = new Map();
    this.settled = [];
    const out = new Set<string>();
    for (const id of candidates)
      if (
        !this.pending.has(id) &&
        !this.committing.has(id) &&
        this.filter?.mightContain(id) !== false
      )
        out.add(id);
    return [...out];
  }

  /** What Postgres holds for the ids unknown() gave (replaces the previous answer). */
  learn(entries: Iterable<[string, DedupeEntry]>): void {
    this.known = new Map(entries);
  }

  /**
   * The verdict on a record; a first one is remembered. `floor` is the oldest event time still
   * remembered (watermark − horizon): an older first record is let through but not remembered,
   * since its row would be forgotten at once (and it is late anyway).
   */
  judge(id: string, fingerprint: number, eventTime: number, floor: number | null): DedupeVerdict {
    const verdict =
      this.against(this.pending, id, fingerprint) ??
      this.against(this.committing, id, fingerprint) ??
      this.againstSettled(id, fingerprint);
    if (verdict) return verdict;
    const known = this.known.get(id);
    if (known)
      return known.fingerprint === fingerprint ? DUPLICATE : { kind: 'conflict', first: known };
    if (floor === null || eventTime >= floor) {
      this.pending.add(id, fingerprint, eventTime);
      this.filter?.add(id, eventTime);
    }
    return FIRST;
  }

  /** Hands over this commit's ids; the previous commit has finished (its ids are now in Postgres). */
  take(watermark: number | null): DedupeCommit {
    // Only commits that remembered ids answer anything; an idle task's commits (a watermark moved,
    // no batch, so no lookup clears the list) would otherwise pile up here.
    if (this.committing.ids.length > 0) this.settled.push(this.committing);
    this.committing = this.pending;
    this.pending = new DedupeColumns();
    const forgetBefore = watermark === null ? null : watermark - this.definition.horizonMs;
    // The commit before this one has finished. If its bound is at least the one of the commit before
    // that, every row below that older bound is gone: it deleted the older rows, and inserted none
    // below it (the floor only rises). A row a commit inserts below its own bound outlives that
    // commit, which is why a bound waits one commit.
    const [settled, previous] = this.forgotten;
    if (settled !== null && previous !== null && previous >= settled)
      this.filter?.forgetBelow(settled);
    this.forgotten = [previous, forgetBefore];
    return { remember: this.committing, forgetBefore };
  }

  private againstSettled(id: string, fingerprint: number): DedupeVerdict | undefined {
    for (const columns of this.settled) {
      const verdict = this.against(columns, id, fingerprint);
      if (verdict) return verdict;
    }
    return undefined;
  }

  /** The verdict when `columns` hold the id; undefined when they do not. */
  private against(
    columns: DedupeColumns,
    id: string,
    fingerprint: number,
  ): DedupeVerdict | undefined {
    const slot = columns.slot(id);
    if (slot < 0) return undefined;
    if (columns.fingerprints[slot] === fingerprint) return DUPLICATE;
    const first = { fingerprint: columns.fingerprints[slot], eventTime: columns.eventTimes[slot] };
    return { kind: 'conflict', first };
  }
}
