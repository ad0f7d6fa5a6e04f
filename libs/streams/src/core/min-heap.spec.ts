import { MinHeap } from './min-heap';

describe('MinHeap', () => {
  it('is empty at first', () => {
    const h = new MinHeap<string>();
    expect(h.size).toBe(0);
    expect(h.peek()).toBeUndefined();
    expect(h.pop()).toBeUndefined();
  });

  it('pops in priority order, whatever the push order (seeded random input)', () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const h = new MinHeap<number>();
    const ps: number[] = [];
    for (let i = 0; i < 500; i++) {
      const p = Math.floor(rnd() * 100) - 50; // with duplicates and negatives
      ps.push(p);
      h.push(p, i);
    }
    expect(h.size).toBe(500);
    expect(h.peek()!.p).toBe(Math.min(...ps));
    const out: number[] = [];
    for (let e = h.pop(); e; e = h.pop()) out.push(e.p);
    expect(out).toEqual([...ps].sort((a, b) => a - b));
    expect(h.size).toBe(0);
  });

  it('keeps each value with its priority', () => {
    const h = new MinHeap<string>();
    h.push(3, 'c');
    h.push(1, 'a');
    h.push(2, 'b');
    expect(h.pop()).toEqual({ p: 1, v: 'a' });
    h.push(0, 'z');
    expect([h.pop(), h.pop(), h.pop()]).toEqual([
      { p: 0, v: 'z' },
      { p: 2, v: 'b' },
      { p: 3, v: 'c' },
    ]);
  });
});
