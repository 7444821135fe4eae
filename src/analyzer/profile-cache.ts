import { defaultCacheEntries } from './defaults.js';
import type { FileProfile } from './file-profile.js';
import type { ProfileCache } from './types.js';

/**
 * An in-memory LRU of per-file profiles keyed by `language:sha256`. Profiles depend only on
 * content, so one cache may be shared by every analysis in a process.
 *
 * @example
 * const cache = createProfileCache({ maxEntries: 10_000 });
 * await analyzeRelease({ ecosystem: 'npm', previous, candidate, cache });
 */
export function createProfileCache(opts: { maxEntries?: number } = {}): ProfileCache {
  const maxEntries = opts.maxEntries ?? defaultCacheEntries;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError(`Expected \`maxEntries\` to be an integer from 1 and up, got \`${maxEntries}\` (${typeof maxEntries})`);
  }
  const entries = new Map<string, FileProfile>();
  return {
    get(key) {
      const profile = entries.get(key);
      if (profile !== undefined) {
        entries.delete(key);
        entries.set(key, profile);
      }
      return profile;
    },
    set(key, profile) {
      entries.delete(key);
      entries.set(key, profile);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    get size() {
      return entries.size;
    },
  };
}
