/**
 * A binary min-heap under a strict order `before(a, b)`. Equal items leave in an order fixed by the
 * sequence of operations, so a seeded input always drains the same way. `replaceTop` restores order
 * after the top item moved later in place, which is cheaper than pop + push.
 */
export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(items[index], items[parent])) break;
      [items[index], items[parent]] = [items[parent], items[index]];
      index = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      this.replaceTop();
    }
    return top;
  }

  replaceTop(): void {
    const items = this.items;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= items.length) return;
      const right = left + 1;
      const first = right < items.length && this.before(items[right], items[left]) ? right : left;
      if (!this.before(items[first], items[index])) return;
      [items[index], items[first]] = [items[first], items[index]];
      index = first;
    }
  }
}
