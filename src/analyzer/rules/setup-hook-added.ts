import type { ArtifactView } from '../artifact-view.js';
import type { Capability, CapabilityKind } from '../file-profile.js';
import { lineOf } from '../npm-manifest.js';
import { findingOf, lineText, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

const topLevelKinds: CapabilityKind[] = ['network', 'spawn', 'dynamic-code', 'decode-exec', 'secret'];
/** On a first release only these are suspicious on their own (subprocess for a git version is common). */
const firstReleaseKinds: CapabilityKind[] = ['network', 'decode-exec', 'secret'];

function cmdclass(view: ArtifactView): { path: string; line: number | null; text: string } | null {
  for (const path of ['setup.py', 'setup.cfg', 'pyproject.toml']) {
    const text = view.files.get(path)?.text;
    if (!text) continue;
    const re = path === 'pyproject.toml' ? /\[tool\.setuptools\.cmdclass\]|cmdclass\s*=/ : /\bcmdclass\b/;
    const m = re.exec(text);
    if (m) return { path, line: lineOf(text, m[0]), text };
  }
  return null;
}

function topLevel(view: ArtifactView | null): Capability[] {
  const profile = view?.files.get('setup.py')?.profile;
  return profile?.capabilities.filter((c) => c.topLevel && topLevelKinds.includes(c.kind)) ?? [];
}

/** Code that runs when pip builds the sdist: cmdclass overrides and top-level effects in setup.py. */
export const setupHookAdded: Rule = {
  id: 'setup-hook-added',
  description: 'setup.py gains a cmdclass, or exec, network or subprocess calls at its top level (run when pip builds the sdist).',
  severity: 'high',
  ecosystems: ['pypi'],
  check(ctx) {
    const out: Finding[] = [];
    for (const { candidate, baseline } of ctx.pairs) {
      if (candidate.format !== 'sdist') continue;
      const sdistBaseline = baseline?.format === 'sdist' ? baseline : null;
      const hook = cmdclass(candidate);
      if (hook && !ctx.firstRelease && !(sdistBaseline && cmdclass(sdistBaseline))) {
        out.push(findingOf(this, { path: hook.path, line: hook.line, message: `${hook.path} adds a cmdclass, replacing setuptools commands with its own code.`, evidence: lineText(hook.text, hook.line) }));
      }
      const before = new Set(topLevel(sdistBaseline).map((c) => c.kind));
      const reported = new Set<CapabilityKind>();
      for (const cap of topLevel(candidate)) {
        if (before.has(cap.kind) || reported.has(cap.kind)) continue;
        if (ctx.firstRelease && !firstReleaseKinds.includes(cap.kind)) continue;
        reported.add(cap.kind);
        out.push(findingOf(this, { path: 'setup.py', line: cap.line, message: `setup.py runs ${cap.detail} at its top level, which happens when pip builds the package.`, evidence: cap.evidence }));
      }
    }
    return out;
  },
};
