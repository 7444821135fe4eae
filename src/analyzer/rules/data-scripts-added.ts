import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

const dataDir = /^[^/]+\.data\/(scripts|data)\/(.+)$/;

/** Wheel files installed into bin/ or the environment prefix. */
export const dataScriptsAdded: Rule = {
  id: 'data-scripts-added',
  description: 'A wheel gains files under *.data/scripts (installed on PATH) or *.data/data (installed into the prefix).',
  severity: 'medium',
  ecosystems: ['pypi'],
  check(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { candidate, baseline } of ctx.pairs) {
      if (candidate.format !== 'wheel') continue;
      const before = new Set<string>();
      for (const path of baseline?.files.keys() ?? []) {
        const m = dataDir.exec(path);
        if (m) before.add(`${m[1]}/${m[2]}`);
      }
      for (const path of candidate.files.keys()) {
        const m = dataDir.exec(path);
        if (!m || before.has(`${m[1]}/${m[2]}`) || seen.has(`${m[1]}/${m[2]}`)) continue;
        seen.add(`${m[1]}/${m[2]}`);
        out.push(
          findingOf(this, {
            path,
            message: m[1] === 'scripts' ? `${path} is a new script installed on the user's PATH.` : `${path} is a new file installed outside site-packages.`,
          }),
        );
      }
    }
    return out;
  },
};
