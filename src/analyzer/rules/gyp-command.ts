import { findingOf, type Rule } from '../rule.js';
import { LineIndex } from '../scan/line-index.js';
import type { Finding } from '../../domain/finding.js';

/** The include idioms of nan, node-addon-api and friends, and pkg-config queries. */
const usualCommands = [
  /^node\s+-[pe]\s+["']?\s*require\(\s*\\?["'][@\w./-]+\\?["']\s*\)(?:\.(?:include|include_dir|gyp|targets|path|def))?\s*["']?$/,
  /^pkg-config\s+(?:--[\w-]+\s+)*[\w.+-]+(?:\s+[\w.+-]+)*$/,
  /^(?:python3?|node)\s+-c\s+["']import sys; print\(sys\.platform\)["']$/,
  // Printing Node's version (bcrypt: `node -p "process.versions.node.split('.')[0]"`) runs nothing else.
  /^node\s+-[pe]\s+["']?process\.(?:version|versions\.\w+)(?:\.split\(\s*["']\.["']\s*\)\[\d\])?["']?$/,
];

/** Runs every `<!(…)` / `<!@(…)` command expansion found in gyp text. */
export function gypCommands(text: string): Array<{ command: string; offset: number }> {
  const out: Array<{ command: string; offset: number }> = [];
  const re = /<!@?\(/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    while (i < text.length && depth > 0) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')') depth--;
      i++;
    }
    out.push({ command: text.slice(start, i - 1).trim(), offset: m.index });
  }
  return out;
}

/** A command with its quoting and escaping dropped: `\\.` and `\.` in a re-escaped regex are one command. */
const sameCommand = (command: string) => command.replace(/\\/g, '').replace(/\s+/g, ' ');

/** A gyp command expansion (run by node-gyp at install) other than the usual include idioms. */
export const gypCommand: Rule = {
  id: 'gyp-command',
  description: 'A binding.gyp runs a command through `<!(…)`/`<!@(…)` other than the usual include idioms.',
  severity: 'critical',
  ecosystems: ['npm'],
  check(ctx) {
    const out: Finding[] = [];
    for (const { candidate, baseline } of ctx.pairs) {
      const known = new Set<string>();
      for (const file of baseline?.files.values() ?? []) {
        if (file.text !== null && /\.gypi?$/.test(file.path)) for (const c of gypCommands(file.text)) known.add(sameCommand(c.command));
      }
      for (const file of candidate.files.values()) {
        if (file.text === null || !/\.gypi?$/.test(file.path)) continue;
        const lines = new LineIndex(file.text);
        for (const { command, offset } of gypCommands(file.text)) {
          if (known.has(sameCommand(command)) || usualCommands.some((re) => re.test(command.replace(/\\/g, '')))) continue;
          out.push(
            findingOf(this, {
              path: file.path,
              line: lines.lineAt(offset),
              message: `${file.path} runs \`${command}\` when node-gyp configures the build.`,
              evidence: lines.evidenceAt(offset),
            }),
          );
        }
      }
    }
    return out;
  },
};
