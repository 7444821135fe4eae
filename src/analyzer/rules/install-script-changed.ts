import { newCapabilities } from '../new-capabilities.js';
import { filesRunBy, installScripts, lineOf, npmManifest } from '../npm-manifest.js';
import { findingOf, lineText, type Rule } from '../rule.js';
import type { CapabilityKind } from '../file-profile.js';
import type { ArtifactView } from '../artifact-view.js';
import type { Capability } from '../file-profile.js';
import type { Finding } from '../../domain/finding.js';

const byKind = new Set<CapabilityKind>(['network', 'spawn', 'dynamic-code']);

/** The programs a script command runs (`cross-env A=1 node-gyp-build` → `node-gyp-build`). */
function programsOf(command: string): Set<string> {
  const out = new Set<string>();
  for (const segment of command.split(/&&|\|\||;|\|/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    let k = 0;
    for (let w = words[k]; w !== undefined && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || w === 'cross-env' || w === 'env'); w = words[++k]);
    const command = words[k];
    if (command !== undefined) out.add(command.replace(/^["'(]+/, ''));
  }
  return out;
}

/** A capability worth a high finding in an install script: anything but a plain, low-risk host. */
const matters = (c: Capability) => c.kind !== 'endpoint' || c.risk !== undefined;

/** Capabilities of the files `command` runs in `view`, as `kind:key`. */
function capabilitiesRun(command: string, view: ArtifactView): Map<string, Capability> {
  const out = new Map<string, Capability>();
  for (const path of filesRunBy(command, view)) {
    for (const c of view.files.get(path)?.profile?.capabilities ?? []) if (matters(c)) out.set(`${c.kind}:${c.key}`, c);
  }
  return out;
}

const kinds: CapabilityKind[] = ['network', 'spawn', 'dynamic-code', 'decode-exec', 'endpoint', 'secret', 'obfuscation', 'self-publish', 'persistence', 'detached-spawn'];

/**
 * An install script whose command changed, or whose file gained capabilities. A file that
 * only changed (esbuild's install.js carries its version) is not a finding by itself.
 */
export const installScriptChanged: Rule = {
  id: 'install-script-changed',
  description: 'An install script’s command changed, or the file it runs gained new capabilities.',
  severity: 'high',
  ecosystems: ['npm'],
  check(ctx) {
    const out: Finding[] = [];
    for (const pair of ctx.pairs) {
      const { candidate, baseline } = pair;
      if (!baseline) continue;
      const manifest = npmManifest(candidate);
      const before = npmManifest(baseline);
      if (!manifest || !before) continue;
      for (const name of installScripts) {
        const command = manifest.scripts[name];
        const previous = before.scripts[name];
        if (command === undefined || previous === undefined) continue;
        const line = lineOf(manifest.text, `"${name}"`);
        if (command.trim().replace(/\s+/g, ' ') !== previous.trim().replace(/\s+/g, ' ')) {
          // The same programs, running files that gain nothing the old ones lacked (a moved
          // script, an added environment variable), is a change to look at, not a new capability.
          const before = programsOf(previous);
          const samePrograms = [...programsOf(command)].every((p) => before.has(p));
          const had = capabilitiesRun(previous, baseline);
          const gainedCaps = [...capabilitiesRun(command, candidate).entries()].filter(([k]) => !had.has(k));
          out.push(
            findingOf(this, {
              path: 'package.json',
              line,
              message: `package.json changes the ${name} script from \`${previous}\` to \`${command}\`${samePrograms && gainedCaps.length === 0 ? ' (the same programs; the files it runs gain no capability)' : ''}.`,
              evidence: lineText(manifest.text, line),
              ...(samePrograms && gainedCaps.length === 0 ? { severity: 'medium' as const } : {}),
            }),
          );
          continue;
        }
        for (const path of filesRunBy(command, candidate)) {
          // Swapping one HTTP client or spawn helper for another is no new capability; new hosts,
          // secrets and the like are compared exactly.
          const gained = kinds.flatMap((kind) =>
            newCapabilities(pair, kind, { compare: byKind.has(kind) ? 'kind' : 'key', lenientForNewFiles: false, includeTests: true }).filter((n) => n.file.path === path && matters(n.capability)),
          );
          const first = gained[0]?.capability;
          if (!first) continue;
          out.push(
            findingOf(this, {
              path,
              line: first.line,
              message: `${path}, run by the ${name} script, gained ${gained.map((g) => g.capability.detail).slice(0, 3).join(', ')}.`,
              evidence: first.evidence,
            }),
          );
        }
      }
    }
    return out;
  },
};
