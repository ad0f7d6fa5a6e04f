import { DedupeCommit, DedupeDefinition, DedupeEntry, DedupeIndex, RecordHeaders } from './dedupe';
import { DedupeFilter } from './dedupe-filter';
import { PoisonError } from './errors';

/** Postgres text cannot hold NUL: such an id is not remembered (its record is refused on storage anyway). */
const storableId = (id: string | null): id is string => id !== null && !id.includes('\u0000');

/**
 * A source's dedupe as one task applies it: which ids of a batch to look up, the verdict on each
 * record against its partition's watermark, and what a commit remembers and forgets.
 */
export class SourceDedupe {
  private readonly index: DedupeIndex;

  /** `filterMaxBytes`: memory for the filter of stored ids (none when 0 or unset; the runtime loads it). */
  constructor(
    private readonly definition: DedupeDefinition,
    filterMaxBytes = 0,
  ) {
    const filter =
      filterMaxBytes > 0 ? new DedupeFilter(definition.horizonMs, filterMaxBytes) : undefined;
    this.index = new DedupeIndex(definition, filter);
  }

  /** Which ids the store may hold, once the runtime has loaded it; undefined without one. */
  get filter(): DedupeFilter | undefined {
    return this.index.filter;
  }

  /** The record's id, when it is one that can be remembered. */
  idOf(value: unknown, headers: RecordHeaders): string | null {
    const id = this.definition.id(value, headers);
    return storableId(id) ? id : null;
  }

  /** Ids that memory cannot answer: the runtime looks them up in Postgres (one query per batch). */
  unknown(ids: string[]): string[] {
    return this.index.unknown(ids);
  }

  /** What Postgres holds for the ids unknown() gave. */
  learn(entries: Iterable<[string, DedupeEntry]>): void {
    this.index.learn(entries);
  }

  /**
   * The verdict on a record: 'first' (process it), 'duplicate' (drop and count it), or the error to
   * dead-letter it with (a conflict: the id was first seen with other content).
   */
  judge(
    value: unknown,
    raw: Buffer,
    headers: RecordHeaders,
    eventTime: number | undefined,
    watermark: number | null,
  ): 'first' | 'duplicate' | PoisonError {
    const id = this.idOf(value, headers);
    // Without a storable id or a usable time there is nothing to judge; processing decides what it is.
    if (id === null || eventTime === undefined || !Number.isFinite(eventTime)) return 'first';
    const verdict = this.index.judge(
      id,
      this.definition.fingerprint(value, raw),
      eventTime,
      watermark === null ? null : watermark - this.definition.horizonMs,
    );
    if (verdict.kind !== 'conflict') return verdict.kind;
    const firstAt = new Date(verdict.first.eventTime).toISOString();
    return new PoisonError(
      'conflicting_duplicate',
      `${this.definition.name}: id ${JSON.stringify(id)} was first seen with other content (event time ${firstAt}); the first one counts`,
    );
  }

  /** Hands over this commit's ids and the eviction bound (watermark − horizon). */
  take(watermark: number | null): DedupeCommit {
    return this.index.take(watermark);
  }
}
