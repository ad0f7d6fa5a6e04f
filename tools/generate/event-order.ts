/**
 * Ordering of the emitted stream: the merge of a period's cursors by (time, order), and the
 * bounded shuffle. Both use libs/streams' BinaryHeap with a fixed order, so equal event times
 * leave in a fixed order and the output stays deterministic.
 */
import { BinaryHeap } from '@clickstream/streams';
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

/** (t, order) order: among equal times the lower rank first. */
export function earlier(a: TimeOrdered, b: TimeOrdered): boolean {
  return a.t < b.t || (a.t === b.t && a.order < b.order);
}

/** A heap of cursors by (t, order); `replaceTop` after the top cursor advanced. */
export function timeOrderedHeap<T extends TimeOrdered>(): BinaryHeap<T> {
  return new BinaryHeap<T>(earlier);
}

interface Delayed {
  key: number;
  arrival: number;
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
  const heap = new BinaryHeap<Delayed>(
    (a, b) => a.key < b.key || (a.key === b.key && a.arrival < b.arrival),
  );
  let arrival = 0;
  for (const { t, event } of source) {
    while (heap.size > 0 && heap.peek()!.key <= t) yield heap.pop()!.event;
    heap.push({ key: t + Math.floor(rng.next() * (maxDelayMs + 1)), arrival: arrival++, event });
  }
  while (heap.size > 0) yield heap.pop()!.event;
}
