import { describe, expect, it } from 'vitest';
import { HeapItem, IndexedMinHeap } from './min-heap';

describe('IndexedMinHeap', () => {
  it('pops in (at, seq) order after random pushes and removals from the middle', () => {
    const heap = new IndexedMinHeap<HeapItem>();
    let seed = 7;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const items = Array.from({ length: 500 }, (_, seq) => ({ at: Math.floor(rand() * 50), seq, heapIndex: -1 }));
    items.forEach((item) => heap.push(item));
    const removed = items.filter((_, i) => i % 3 === 0);
    removed.forEach((item) => heap.remove(item));
    heap.remove(removed[0]); // removing twice is harmless
    const popped: HeapItem[] = [];
    for (let item = heap.pop(); item; item = heap.pop()) popped.push(item);
    const expected = items.filter((_, i) => i % 3 !== 0).sort((a, b) => a.at - b.at || a.seq - b.seq);
    expect(popped).toEqual(expected);
    expect(heap.size).toBe(0);
  });
});
