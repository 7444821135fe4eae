import type { StoredFinding } from '../domain/finding.js';

/** One line of a window: its number, the part shown, and whether text was cut on either side. */
export interface WindowLine {
  n: number;
  text: string;
  /** Characters of the line left out before `text` (0: the line starts here). */
  cutBefore: number;
  /** Characters of the line left out after `text`. */
  cutAfter: number;
}

/** A few lines of a file around a finding, with the match marked; small even for a one-line bundle. */
export interface EvidenceWindow {
  /** The finding's line, or null when the finding names no line (the window is the file's start). */
  line: number | null;
  /** Lines in the file, so the page can say how much is not shown. */
  totalLines: number;
  lines: WindowLine[];
  /** The text that produced the finding, as offsets into the `text` of the line numbered `line`. */
  match: { from: number; to: number } | null;
}

export interface WindowOptions {
  /** Lines shown before and after the finding's line. @default 3 */
  contextLines?: number;
  /** Characters shown of one line; a longer line is cut around the match. @default 320 */
  lineChars?: number;
}

/**
 * Cuts the window around a finding out of the file's text. Lines are counted at `\n` (the
 * analyzer's numbering; a trailing `\r` is dropped). The match is the first of the finding's
 * named things (quoted names, hosts, the evidence line) that occurs on its line, so a long
 * minified line is shown around the code that produced the finding, not from its start.
 */
export function evidenceWindow(text: string, finding: Pick<StoredFinding, 'line' | 'message' | 'evidence' | 'path'>, options: WindowOptions = {}): EvidenceWindow {
  const contextLines = options.contextLines ?? 3;
  const lineChars = options.lineChars ?? 320;
  const starts = lineStarts(text);
  const total = starts.length - (text.endsWith('\n') && starts.length > 1 ? 1 : 0);
  const target = finding.line !== null && finding.line >= 1 && finding.line <= total ? finding.line : null;
  const first = target === null ? 1 : Math.max(1, target - contextLines);
  const last = Math.min(total, target === null ? 1 + 2 * contextLines : target + contextLines);

  const lineText = (n: number) => {
    const start = starts[n - 1] ?? text.length;
    const end = n < starts.length ? (starts[n] ?? text.length) - 1 : text.length;
    return text.slice(start, end).replace(/\r$/, '');
  };

  const lines: WindowLine[] = [];
  let match: EvidenceWindow['match'] = null;
  for (let n = first; n <= last; n++) {
    const full = lineText(n);
    if (n !== target) {
      const cut = full.length > lineChars ? full.slice(0, lineChars) : full;
      lines.push({ n, text: cut, cutBefore: 0, cutAfter: full.length - cut.length });
      continue;
    }
    const found = locate(full, finding);
    let from = 0;
    if (full.length > lineChars) {
      const center = found ? Math.floor((found.from + found.to) / 2) : 0;
      from = Math.max(0, Math.min(full.length - lineChars, center - Math.floor(lineChars / 2)));
      // Keep a long match's start in view.
      if (found && found.from < from) from = found.from;
    }
    const to = Math.min(full.length, from + lineChars);
    lines.push({ n, text: full.slice(from, to), cutBefore: from, cutAfter: full.length - to });
    if (found) match = { from: found.from - from, to: Math.min(found.to, to) - from };
  }
  return { line: target, totalLines: total, lines, match };
}

/** Offsets at which each line starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Where on its line the finding's subject is. The analyzer's evidence holds the line (cut
 * around the offset it recorded, with `… ` marks) and the message names the subject: a host,
 * `require('x')`, a command in backticks. The subject is looked for near the evidence first.
 */
function locate(line: string, finding: Pick<StoredFinding, 'message' | 'evidence' | 'path'>): { from: number; to: number } | null {
  const lower = line.toLowerCase();
  const needles = needlesOf(finding);
  let anchor: { from: number; to: number } | null = null;
  for (const piece of (finding.evidence ?? '').split('\n')) {
    const fragment = piece.replace(/^… /, '').replace(/ …$/, '').trim();
    if (fragment.length < 3) continue;
    const at = line.indexOf(fragment);
    if (at !== -1 && (!anchor || fragment.length > anchor.to - anchor.from)) anchor = { from: at, to: at + fragment.length };
  }
  const search = (from: number, to: number) => {
    for (const needle of needles) {
      const at = lower.indexOf(needle, from);
      if (at !== -1 && at + needle.length <= to) return { from: at, to: at + needle.length };
    }
    return null;
  };
  return (anchor && search(anchor.from, anchor.to)) ?? search(0, line.length) ?? anchor;
}

/** Things a finding names, longest first, in lower case: `quoted`, 'quoted', (detail), dotted names. */
function needlesOf(finding: Pick<StoredFinding, 'message' | 'path'>): string[] {
  const message = finding.message;
  const found = new Set<string>();
  const add = (s: string) => {
    const t = s.trim().replace(/\(\)$/, '').replace(/[.,;:]$/, '');
    if (t.length >= 3 && !(finding.path ?? '').toLowerCase().includes(t.toLowerCase())) found.add(t.toLowerCase());
  };
  for (const m of message.matchAll(/`([^`]+)`/g)) add(m[1] ?? '');
  for (const m of message.matchAll(/'([^']+)'/g)) add(m[1] ?? '');
  for (const m of message.matchAll(/"([^"]+)"/g)) add(m[1] ?? '');
  for (const m of message.matchAll(/\(([^()]*(?:\([^()]*\))?[^()]*)\)/g)) add(m[1] ?? '');
  for (const m of message.matchAll(/[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)+/g)) add(m[0]);
  return [...found].sort((a, b) => b.length - a.length);
}
