/**
 * Ordering of the emitted stream: a binary heap by a strict order, used to merge the cursors of a
 * period and for the bounded shuffle.
 *
 * Not libs/streams' MinHeap: that one orders by a single number, with no order among equal ones,
 * and moves a grown top only by pop + push (a new entry object each time). Here equal event times
 * are common and must leave in a fixed order for the output to be deterministic, and replacing the
 * top in place keeps the per-event cost low (a MinHeap-based merge made generation ~10 % slower).
 */
import { ClickEventInput } from '@clickstream/contracts';
import { Rng } from './prng';

/** An event with its event time (epoch ms). */
export interface Timed {
  t: number;
  event: ClickEventInput;
}

/** Binary min-heap by `less`, which must order any two items (no ties). */
export class OrderedHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The smallest item (undefined when empty). */
  top(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  /** Removes the smallest item and returns it. */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0) {
      items[0] = last!;
      this.replaceTop();
    }
    return top;
  }

  /** Restores order after the top item grew (cheaper than pop and push). */
  replaceTop(): void {
    const items = this.items;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) return;
      const right = left + 1;
      const smaller = right < items.length && this.less(items[right], items[left]) ? right : left;
      if (!this.less(items[smaller], items[i])) return;
      [items[i], items[smaller]] = [items[smaller], items[i]];
      i = smaller;
    }
  }
}

interface Delayed {
  key: number;
  seq: number;
  event: ClickEventInput;
}

/**
 * Bounded shuffle: each event gets a key t + U[0, maxDelayMs] and events leave in key order. An
 * event is therefore never more than maxDelayMs of event time behind the latest one before it.
 */
export function* shuffleBounded(
  source: Iterable<Timed>,
  maxDelayMs: number,
  seed: number,
): Generator<ClickEventInput, void, undefined> {
  const rng = new Rng(seed);
  // Equal keys leave in arrival order.
  const heap = new OrderedHeap<Delayed>(
    (a, b) => a.key < b.key || (a.key === b.key && a.seq < b.seq),
  );
  let seq = 0;
  for (const { t, event } of source) {
    while (heap.size > 0 && heap.top()!.key <= t) yield heap.pop()!.event;
    heap.push({ key: t + Math.floor(rng.next() * (maxDelayMs + 1)), seq: seq++, event });
  }
  while (heap.size > 0) yield heap.pop()!.event;
}
