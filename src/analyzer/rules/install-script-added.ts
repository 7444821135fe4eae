import { installScripts, lineOf, npmManifest } from '../npm-manifest.js';
import { findingOf, lineText, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

/** `preinstall`/`install`/`postinstall` where there was none: code that runs on every install. */
export const installScriptAdded: Rule = {
  id: 'install-script-added',
  description: 'A preinstall, install or postinstall script appears where there was none.',
  severity: 'critical',
  ecosystems: ['npm'],
  check(ctx) {
    const out: Finding[] = [];
    for (const { candidate, baseline } of ctx.pairs) {
      const manifest = npmManifest(candidate);
      if (!manifest) continue;
      const before = baseline ? npmManifest(baseline) : null;
      // npm runs `node-gyp rebuild` for a root binding.gyp when there is no install script.
      const implicitGyp = !!baseline?.files.has('binding.gyp') && !before?.scripts['install'] && !before?.scripts['preinstall'];
      for (const name of installScripts) {
        const command = manifest.scripts[name];
        if (command === undefined || before?.scripts[name] !== undefined) continue;
        if (name === 'install' && implicitGyp && /^node-gyp rebuild\s*$/.test(command.trim())) continue;
        if (before && installScripts.some((other) => before.scripts[other]?.trim() === command.trim())) continue; // renamed hook, same command
        const line = lineOf(manifest.text, `"${name}"`);
        out.push(
          findingOf(this, {
            path: 'package.json',
            line,
            message: `package.json adds a ${name} script that runs on every install: \`${command}\`.`,
            evidence: lineText(manifest.text, line),
          }),
        );
      }
    }
    return out;
  },
};
