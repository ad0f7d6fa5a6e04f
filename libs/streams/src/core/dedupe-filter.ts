import { BloomFilter } from 'bloomfilter';

/**
 * Which ids a task's dedupe store (`stream_dedupe`) may hold: a Bloom filter in memory, so that
 * most of a batch's ids (first seen, as almost all are) skip the Postgres lookup. It answers "maybe"
 * or "certainly not", never a false "not": every id the store holds for the task was added, from
 * the load of the store's rows when the task opened or when judged first. A "maybe" (an id seen
 * before, or about 1 % of the others) is looked up as before, so the verdicts stay Postgres'.
 *
 * Ids are filed by event time in slices of half the horizon; a slice goes once the store's rows
 * below its end are deleted. Each slice is a chain of filters, each twice the size of the one
 * before (a scalable Bloom filter, Almeida et al. 2007); a new slice starts at the size the last
 * slice ended with, so under steady traffic a chain stays one or two filters long.
 *
 * Until loaded, and once over its byte limit, it says "maybe" to every id: lookups as without it.
 */
export class DedupeFilter {
  private readonly slices = new Map<number, FilterSlice>();
  private readonly sliceMs: number;
  private state: 'loading' | 'ready' | 'saturated' = 'loading';
  private usedBytes = 0;
  private nextCapacity = MIN_CAPACITY;
  /** Ids ruled out since the filter was made (each one a lookup spared). */
  private ruledOut = 0;

  /** `horizonMs`: the dedupe's; `maxBytes`: this filter's memory limit. */
  constructor(
    horizonMs: number,
    private readonly maxBytes: number,
  ) {
    this.sliceMs = Math.max(1, Math.ceil(horizonMs / 2));
  }

  /** 'loading' until every stored id is in; 'saturated' once it outgrew its limit (for good). */
  get status(): 'loading' | 'ready' | 'saturated' {
    return this.state;
  }

  get bytes(): number {
    return this.usedBytes;
  }

  get spared(): number {
    return this.ruledOut;
  }

  /** False only when the store certainly does not hold `id` for the task. */
  mightContain(id: string): boolean {
    if (this.state !== 'ready') return true;
    for (const slice of this.slices.values())
      for (const filter of slice.filters) if (filter.test(id)) return true;
    this.ruledOut++;
    return false;
  }

  /** An id the store holds or will hold (a stored row, or one remembered by the next commits). */
  add(id: string, eventTime: number): void {
    if (this.state === 'saturated') return;
    const key = Math.floor(eventTime / this.sliceMs);
    let slice = this.slices.get(key);
    if (!slice) {
      slice = { filters: [], capacity: 0, count: 0, total: 0 };
      this.slices.set(key, slice);
    }
    if ((!slice.filters.length || slice.count >= slice.capacity) && !this.grow(slice)) return;
    slice.filters[slice.filters.length - 1].add(id);
    slice.count++;
    slice.total++;
  }

  /** Every row the store held when the task opened has been added. */
  loaded(): void {
    if (this.state === 'loading') this.state = 'ready';
  }

  /** The store holds no row with an event time below `before` any more: slices wholly below go. */
  forgetBelow(before: number): void {
    for (const [key, slice] of this.slices) {
      if ((key + 1) * this.sliceMs > before) continue;
      this.slices.delete(key);
      this.usedBytes -= slice.filters.reduce((sum, f) => sum + f.buckets.byteLength, 0);
      this.nextCapacity = Math.max(MIN_CAPACITY, slice.total);
    }
  }

  /** A new filter at the end of the slice's chain, twice the last; false (and saturated) past the limit. */
  private grow(slice: FilterSlice): boolean {
    const capacity = slice.filters.length ? slice.capacity * 2 : this.nextCapacity;
    const filter = sized(capacity);
    if (this.usedBytes + filter.buckets.byteLength > this.maxBytes) {
      // Ids added from now on would be missing: answer "maybe" to all, and free the memory.
      this.state = 'saturated';
      this.slices.clear();
      this.usedBytes = 0;
      return false;
    }
    slice.filters.push(filter);
    slice.capacity = capacity;
    slice.count = 0;
    this.usedBytes += filter.buckets.byteLength;
    return true;
  }
}

interface FilterSlice {
  filters: BloomFilter[];
  /** Ids the last filter was sized for, and how many it took. */
  capacity: number;
  count: number;
  /** Ids the slice took in all, to size the next slice. */
  total: number;
}

/** A slice's first filter holds at least this many ids (80 KB). */
const MIN_CAPACITY = 1 << 16;
/** 1 % false positives per filter: 9.6 bits per id and 7 hashes. */
const BITS_PER_ID = 9.6;
const HASHES = 7;

const sized = (capacity: number) => new BloomFilter(Math.ceil(capacity * BITS_PER_ID), HASHES);
