import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/bounded-cache.js';

describe('a cache bounded by bytes', () => {
  it('drops the entries set least recently once their costs pass the budget, however few they are', () => {
    const totals: number[] = [];
    const cache = new BoundedCache<string, string>({ maxBytes: 100, onBytes: (bytes) => totals.push(bytes) });
    cache.set('a', 'A', 40);
    cache.set('b', 'B', 40);
    cache.set('c', 'C', 40);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 'B', 'C']);
    expect(cache.bytes).toBe(80);
    expect(totals.at(-1)).toBe(80);
  });

  it('keeps one entry larger than the whole budget until the next one comes', () => {
    const cache = new BoundedCache<string, string>({ maxBytes: 100 });
    cache.set('a', 'A', 10);
    cache.set('huge', 'H', 500);
    expect(cache.get('huge')).toBe('H');
    expect(cache.size).toBe(1);
    cache.set('b', 'B', 10);
    expect([cache.get('huge'), cache.get('b')]).toEqual([undefined, 'B']);
    expect(cache.bytes).toBe(10);
  });

  it('counts bytes added later to an entry, and evicts older ones for them', () => {
    const cache = new BoundedCache<string, string>({ maxBytes: 100 });
    cache.set('a', 'A', 30);
    cache.set('b', 'B', 30);
    cache.grow('b', 'B', 50);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.bytes).toBe(80);
    // A value that was replaced meanwhile is not the one grown.
    cache.grow('b', 'stale', 1000);
    expect(cache.bytes).toBe(80);
  });

  it('replaces a value in place, at its cost and position, only while it still holds the expected one', () => {
    const cache = new BoundedCache<string, string>({ maxBytes: 100 });
    cache.set('a', 'A1', 40);
    cache.set('b', 'B', 40);
    expect(cache.replace('a', 'A1', 'A2')).toBe(true);
    expect(cache.replace('a', 'A1', 'A3')).toBe(false);
    expect(cache.get('a')).toBe('A2');
    // Still the oldest: the next entry over budget drops it, not b.
    cache.set('c', 'C', 40);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 'B', 'C']);
  });

  it('also bounds the count when asked to', () => {
    const cache = new BoundedCache<number, number>({ maxBytes: Number.POSITIVE_INFINITY, maxEntries: 2 });
    for (const n of [1, 2, 3]) cache.set(n, n, 0);
    expect([cache.get(1), cache.get(2), cache.get(3)]).toEqual([undefined, 2, 3]);
  });
});
