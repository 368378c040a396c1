/**
 * A binary min-heap ordered by a caller's comparator: O(log n) push and pop,
 * O(1) peek. Items are never removed from the middle; callers that cancel use
 * lazy deletion (mark the item dead, skip it when it reaches the top).
 */
export class MinHeap<T> {
  private readonly items: T[] = [];

  /** @param less true when `a` must leave the heap before `b`; must be a strict weak order */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  /** The smallest item without removing it; undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Removes and returns the smallest item; undefined when empty. */
  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
