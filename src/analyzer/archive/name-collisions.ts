/**
 * Tracks the entry names of one archive and says when a new one collides with an earlier one:
 * the same name twice (installers keep one of them, not necessarily the one analyzed), or two
 * names that are one file on a case-insensitive or normalizing file system (macOS, Windows).
 */
export interface NameCollisions {
  /** A sentence describing the collision of `path` with an earlier entry, or null. */
  add(path: string): string | null;
  /** Only the case-folding check (the caller judges exact duplicates itself). */
  addFolded(path: string): string | null;
}

export function nameCollisions(): NameCollisions {
  const exact = new Set<string>();
  const folded = new Map<string, string>();
  const addFolded = (path: string): string | null => {
      if (exact.has(path)) return null;
      exact.add(path);
      const key = path.normalize('NFC').toLowerCase();
      const earlier = folded.get(key);
      if (earlier !== undefined) {
        const [a, b] = [earlier, path].sort();
        return `entries \`${a}\` and \`${b}\` are the same file on a case-insensitive file system, so which one is installed depends on the machine`;
      }
      folded.set(key, path);
      return null;
  };
  return {
    add(path) {
      if (exact.has(path)) return duplicateMessage(path);
      return addFolded(path);
    },
    addFolded,
  };
}

export function duplicateMessage(path: string): string {
  return `entry \`${path}\` appears more than once with different content, and installers keep only one of them`;
}
