import { newCapabilities } from '../new-capabilities.js';
import { filesRunBy, installScripts, lineOf, npmManifest } from '../npm-manifest.js';
import { findingOf, lineText, type Rule } from '../rule.js';
import type { CapabilityKind } from '../file-profile.js';
import type { Finding } from '../types.js';

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
          out.push(
            findingOf(this, {
              path: 'package.json',
              line,
              message: `package.json changes the ${name} script from \`${previous}\` to \`${command}\`.`,
              evidence: lineText(manifest.text, line),
            }),
          );
          continue;
        }
        for (const path of filesRunBy(command, candidate)) {
          const gained = kinds.flatMap((kind) =>
            newCapabilities(pair, kind, { compare: 'key', lenientForNewFiles: false, includeTests: true }).filter((n) => n.file.path === path),
          );
          if (gained.length === 0) continue;
          const first = gained[0]!.capability;
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
