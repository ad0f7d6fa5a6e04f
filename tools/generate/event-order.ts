/**
 * Ordering of the emitted stream: a binary heap by (time, order) that merges the cursors of a
 * period, and the bounded shuffle.
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

/** Something with a time and, among equal times, a distinct rank. */
export interface TimeOrdered {
  t: number;
  order: number;
}

// A fixed comparator (not one passed in), so the call is direct and can be inlined.
function earlier(a: TimeOrdered, b: TimeOrdered): boolean {
  return a.t < b.t || (a.t === b.t && a.order < b.order);
}

/** Binary min-heap by (t, order). */
export class TimeOrderedHeap<T extends TimeOrdered> {
  private readonly items: T[] = [];

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
      if (!earlier(items[i], items[parent])) break;
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
      const smaller = right < items.length && earlier(items[right], items[left]) ? right : left;
      if (!earlier(items[smaller], items[i])) return;
      [items[i], items[smaller]] = [items[smaller], items[i]];
      i = smaller;
    }
  }
}

interface Delayed {
  key: number;
  arrival: number;
  event: ClickEventInput;
}

/**
 * Bounded shuffle: each event gets a key t + U[0, maxDelayMs] and events leave in key order. An
 * event is therefore never more than maxDelayMs of event time behind the latest one before it.
 *
 * Its heap is its own: sharing TimeOrderedHeap with the cursor merge made the heap code see both
 * kinds of items, and generation with disorder took ~9 % more instructions (measured).
 */
export function* shuffleBounded(
  source: Iterable<Timed>,
  maxDelayMs: number,
  seed: number,
): Generator<ClickEventInput, void, undefined> {
  const rng = new Rng(seed);
  const heap: Delayed[] = [];
  // Equal keys leave in arrival order.
  const earlierKey = (a: Delayed, b: Delayed) =>
    a.key < b.key || (a.key === b.key && a.arrival < b.arrival);
  const push = (item: Delayed) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlierKey(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  };
  const pop = (): Delayed => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const smaller = right < heap.length && earlierKey(heap[right], heap[left]) ? right : left;
        if (!earlierKey(heap[smaller], heap[i])) break;
        [heap[i], heap[smaller]] = [heap[smaller], heap[i]];
        i = smaller;
      }
    }
    return top;
  };
  let arrival = 0;
  for (const { t, event } of source) {
    while (heap.length > 0 && heap[0].key <= t) yield pop().event;
    push({ key: t + Math.floor(rng.next() * (maxDelayMs + 1)), arrival: arrival++, event });
  }
  while (heap.length > 0) yield pop().event;
}
