import { lineOf, npmManifest, prepareScripts } from '../npm-manifest.js';
import { findingOf, lineText, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

/** `prepare` and friends run on git and local installs. */
export const prepareScriptAdded: Rule = {
  id: 'prepare-script-added',
  description: 'A prepare, preprepare or postprepare script appears (runs on git and local installs).',
  severity: 'medium',
  ecosystems: ['npm'],
  check(ctx) {
    const out: Finding[] = [];
    for (const { candidate, baseline } of ctx.pairs) {
      const manifest = npmManifest(candidate);
      if (!manifest) continue;
      const before = baseline ? npmManifest(baseline) : null;
      if (ctx.firstRelease) continue;
      for (const name of prepareScripts) {
        const command = manifest.scripts[name];
        if (command === undefined || before?.scripts[name] !== undefined) continue;
        const line = lineOf(manifest.text, `"${name}"`);
        out.push(findingOf(this, { path: 'package.json', line, message: `package.json adds a ${name} script: \`${command}\`.`, evidence: lineText(manifest.text, line) }));
      }
    }
    return out;
  },
};
