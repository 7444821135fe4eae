import type { ArtifactFile, ArtifactView } from '../artifact-view.js';
import { findingOf, type Rule } from '../rule.js';
import { pthImportLines } from '../scan/scan-python.js';
import { isSetuptoolsPthLine } from '../setuptools-pth.js';
import type { Finding } from '../../domain/finding.js';

/** Where a `.pth` lands in site-packages: the wheel root or a `*.data/purelib|platlib/` root. */
function installedPth(view: ArtifactView, file: ArtifactFile): boolean {
  if (!file.path.endsWith('.pth')) return false;
  if (view.format === 'wheel') return !file.path.includes('/') || /^[^/]+\.data\/(?:purelib|platlib)\/[^/]+$/.test(file.path);
  return true; // an sdist decides at build time where files go: any .pth is suspect
}

/** A `.pth` line starting with `import`: Python runs it at every interpreter start. */
export const pthExecAdded: Rule = {
  id: 'pth-exec-added',
  description: 'A .pth file gains a line starting with `import`, which Python runs at every interpreter start.',
  severity: 'critical',
  ecosystems: ['pypi'],
  check(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { candidate, baseline } of ctx.pairs) {
      for (const file of candidate.files.values()) {
        if (!installedPth(candidate, file) || file.text === null) continue;
        const name = file.path.slice(file.path.lastIndexOf('/') + 1);
        const before = new Set<string>();
        for (const b of baseline?.files.values() ?? []) {
          if (b.text !== null && (b.path.endsWith(`/${name}`) || b.path === name)) for (const l of pthImportLines(b.text)) before.add(l.code.trim());
        }
        for (const { line, code } of pthImportLines(file.text)) {
          if (before.has(code.trim()) || isSetuptoolsPthLine(file.path, code) || seen.has(`${file.path}\0${line}`)) continue;
          seen.add(`${file.path}\0${line}`);
          out.push(
            findingOf(this, {
              path: file.path,
              line,
              message: `${file.path} runs \`${code.length > 80 ? code.slice(0, 80) + '…' : code}\` at every Python start.`,
              evidence: code.length > 400 ? code.slice(0, 400) + ' …' : code,
            }),
          );
          break;
        }
      }
    }
    return out;
  },
};
