import { moveKey } from '../new-capabilities.js';
import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

const dirOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
/** What kind of binary a path is, by extension (`.node`, `.so`…), or `executable`. */
const binaryKind = (path: string) => /\.(node|so|dll|dylib|pyd|exe|wasm)(?:\.\d+)*$/i.exec(path)?.[1]?.toLowerCase() ?? 'executable';

/** A compiled binary where the baseline had none (in that directory, or under that name). */
export const nativeBinaryAdded: Rule = {
  id: 'native-binary-added',
  description: 'An ELF, PE or Mach-O binary, or a .node/.so/.dll module, appears where there was none; a new platform build beside prebuilt binaries of the same kind is a changed binary set (medium).',
  severity: 'high',
  ecosystems: ['npm', 'pypi'],
  check(ctx) {
    if (ctx.firstRelease) return [];
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { candidate, baseline } of ctx.pairs) {
      if (!baseline) continue;
      const dirs = new Set<string>();
      const keys = new Set<string>();
      const kinds = new Set<string>();
      for (const f of baseline.files.values()) {
        if (!f.native) continue;
        dirs.add(dirOf(f.path));
        keys.add(moveKey(f.path));
        kinds.add(binaryKind(f.path));
      }
      for (const file of candidate.files.values()) {
        if (!file.native || dirs.has(dirOf(file.path)) || keys.has(moveKey(file.path)) || seen.has(file.path)) continue;
        seen.add(file.path);
        const kind = binaryKind(file.path);
        // Prebuilt binaries for one more platform or runtime in a package that already shipped them.
        if (kinds.has(kind)) {
          out.push(findingOf(this, { path: file.path, line: null, severity: 'medium', message: `${file.path} is a new prebuilt binary (${file.size} bytes) beside the ${kind === 'executable' ? 'executables' : `.${kind} binaries`} the package already shipped: a changed binary set.` }));
          continue;
        }
        out.push(findingOf(this, { path: file.path, line: null, message: `${file.path} is a new native binary (${file.size} bytes) that cannot be reviewed as source.` }));
      }
    }
    return out;
  },
};
