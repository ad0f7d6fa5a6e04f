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

/** What a commit writes: the ids first seen since the last commit, and the eviction bound. */
export interface DedupeCommit {
  remember: Array<[string, DedupeEntry]>;
  /** Forget ids with an event time below this (watermark − horizon); null: nothing to forget. */
  forgetBefore: number | null;
}

/**
 * One task's view of the ids it has seen: this commit's (pending), the previous commit's (maybe
 * still in flight), and what Postgres answered for the current batch (known). The runtime commits
 * one at a time per task, so when a commit is taken the one before it has finished: its ids are in
 * Postgres and move to `known` until the next lookup replaces it.
 */
export class DedupeIndex {
  private pending = new Map<string, DedupeEntry>();
  private committing = new Map<string, DedupeEntry>();
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
   * looks these up in Postgres. Ids `known` from an earlier answer are asked again (they are
   * committed, so Postgres has them): the earlier answer is dropped here, since with a filter a
   * batch may need no lookup, and learn() would then never replace it.
   */
  unknown(candidates: Iterable<string>): string[] {
    this.known = new Map();
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
    const first = this.remembered(id);
    if (first) return first.fingerprint === fingerprint ? DUPLICATE : { kind: 'conflict', first };
    if (floor === null || eventTime >= floor) {
      this.pending.set(id, { fingerprint, eventTime });
      this.filter?.add(id, eventTime);
    }
    return FIRST;
  }

  /** Hands over this commit's ids; the previous commit has finished (its ids are now in Postgres). */
  take(watermark: number | null): DedupeCommit {
    for (const [id, entry] of this.committing) this.known.set(id, entry);
    this.committing = this.pending;
    this.pending = new Map();
    const forgetBefore = watermark === null ? null : watermark - this.definition.horizonMs;
    // The commit before this one has finished. If its bound is at least the one of the commit before
    // that, every row below that older bound is gone: it deleted the older rows, and inserted none
    // below it (the floor only rises). A row a commit inserts below its own bound outlives that
    // commit, which is why a bound waits one commit.
    const [settled, previous] = this.forgotten;
    if (settled !== null && previous !== null && previous >= settled)
      this.filter?.forgetBelow(settled);
    this.forgotten = [previous, forgetBefore];
    return { remember: [...this.committing], forgetBefore };
  }

  private remembered(id: string): DedupeEntry | undefined {
    return this.pending.get(id) ?? this.committing.get(id) ?? this.known.get(id);
  }
}
