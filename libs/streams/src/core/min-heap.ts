import { BinaryHeap } from './binary-heap';

/** A binary min-heap by numeric priority; used to find what the watermark closes next. */
export class MinHeap<T> {
  private readonly heap = new BinaryHeap<{ p: number; v: T }>((a, b) => a.p < b.p);

  get size(): number {
    return this.heap.size;
  }

  push(p: number, v: T): void {
    this.heap.push({ p, v });
  }

  peek(): { p: number; v: T } | undefined {
    return this.heap.peek();
  }

  pop(): { p: number; v: T } | undefined {
    return this.heap.pop();
  }
}
