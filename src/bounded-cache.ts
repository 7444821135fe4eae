export interface BoundedCacheOptions {
  /** What the entries may cost together, in estimated heap bytes. */
  maxBytes: number;
  /** Entries kept whatever they cost. @default unbounded (bytes only) */
  maxEntries?: number;
  /** Told the new total after every change, for a gauge. */
  onBytes?: (bytes: number) => void;
}

/**
 * A map bounded by what its entries cost in memory (an estimate each caller makes), not by their
 * count: a count lets a few thousand large documents take gigabytes. Beyond the bound the entries
 * set least recently go first; the entry just set never does, so one entry larger than the whole
 * bound is still served (and dropped when the next one comes). Only ever a cache: whatever it drops
 * is rebuilt from the store or upstream.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; cost: number }>();
  private total = 0;

  constructor(private readonly options: BoundedCacheOptions) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Sets `key` as the newest entry, costing `cost`, and evicts the oldest beyond the bound. */
  set(key: K, value: V, cost: number): void {
    const old = this.entries.get(key);
    if (old) this.total -= old.cost;
    this.entries.delete(key);
    this.entries.set(key, { value, cost });
    this.total += cost;
    this.evict();
  }

  /**
   * Replaces the value of `key` in place, at the cost it was counted at and without making it
   * newer (a snapshot whose releases were read again is the same document). Does nothing when
   * `key` no longer holds `expected` (it was replaced or evicted meanwhile).
   */
  replace(key: K, expected: V, value: V): boolean {
    const entry = this.entries.get(key);
    if (entry?.value !== expected) return false;
    entry.value = value;
    return true;
  }

  /** Adds to what `key` costs, when it still holds `value` (a document rendered or compressed later). */
  grow(key: K, value: V, added: number): void {
    const entry = this.entries.get(key);
    if (entry?.value !== value) return;
    entry.cost += added;
    this.total += added;
    this.evict();
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.cost;
    this.options.onBytes?.(this.total);
  }

  private evict(): void {
    const maxEntries = this.options.maxEntries ?? Number.POSITIVE_INFINITY;
    while (this.entries.size > 1 && (this.total > this.options.maxBytes || this.entries.size > maxEntries)) {
      const first = this.entries.entries().next();
      if (first.done) break;
      const [oldest, entry] = first.value;
      this.total -= entry.cost;
      this.entries.delete(oldest);
    }
    this.options.onBytes?.(this.total);
  }
}
