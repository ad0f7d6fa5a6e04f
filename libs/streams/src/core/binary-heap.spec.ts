import { BinaryHeap } from './binary-heap';

interface Item {
  t: number;
  rank: number;
}

const byTimeThenRank = (a: Item, b: Item) => a.t < b.t || (a.t === b.t && a.rank < b.rank);

describe('BinaryHeap', () => {
  it('drains in the given order, ties by the tie-breaker, whatever the push order', () => {
    let seed = 11;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const heap = new BinaryHeap<Item>(byTimeThenRank);
    const items = Array.from({ length: 400 }, (_, rank) => ({
      t: Math.floor(random() * 20),
      rank,
    }));
    for (const item of items) heap.push(item);
    const drained: Item[] = [];
    for (let item = heap.pop(); item; item = heap.pop()) drained.push(item);
    expect(drained).toEqual([...items].sort((a, b) => a.t - b.t || a.rank - b.rank));
    expect(heap.size).toBe(0);
  });

  it('replaceTop restores the order after the top item moved later in place', () => {
    const heap = new BinaryHeap<Item>(byTimeThenRank);
    for (const [t, rank] of [
      [1, 0],
      [2, 1],
      [3, 2],
    ]) {
      heap.push({ t, rank });
    }
    heap.peek()!.t = 5;
    heap.replaceTop();
    expect([heap.pop(), heap.pop(), heap.pop()].map((item) => item!.t)).toEqual([2, 3, 5]);
    expect(heap.pop()).toBeUndefined();
  });
});
