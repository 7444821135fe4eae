/** One logical Python line: physical lines joined by brackets or backslashes, comments removed. */
export interface PythonLine {
  /** Offset of the first character in the file. */
  offset: number;
  /** Indentation (columns) of the first physical line. */
  indent: number;
  /** The code with comments removed and strings kept verbatim. */
  code: string;
  /** String literals with the offsets of their opening quote and of the character after their closing quote. */
  strings: Array<{ value: string; offset: number; end: number }>;
  /**
   * Where `code` came from, as flat pairs (index in `code`, offset in the file), one per piece
   * of source copied into it: a statement can span physical lines, so `offset` alone would put
   * every finding on its first line. Read it with `sourceOffset`.
   */
  pieces: number[];
  /** The whole line is a single string literal (a docstring or a bare expression). */
  bareString: boolean;
}

/**
 * Splits Python source into logical lines, understanding strings (all prefixes, triple
 * quotes), comments, bracket continuation and backslash continuation. Returns `tolerant` when
 * a string never closes.
 */
export function pythonLines(src: string): { lines: PythonLine[]; tolerant: boolean } {
  const lines: PythonLine[] = [];
  const n = src.length;
  let tolerant = false;
  let i = 0;
  while (i < n) {
    // start of a physical line: measure indent
    let indent = 0;
    while (i < n && (src[i] === ' ' || src[i] === '\t' || src[i] === '\f')) {
      indent += src[i] === '\t' ? 8 - (indent % 8) : 1;
      i++;
    }
    if (i >= n) break;
    if (src[i] === '\n' || src[i] === '\r') {
      i++;
      continue;
    }
    if (src[i] === '#') {
      const nl = src.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    const offset = i;
    let code = '';
    let chunkStart = i;
    let depth = 0;
    const strings: Array<{ value: string; offset: number; end: number }> = [];
    const pieces: number[] = [];
    const append = (from: number, to: number) => {
      pieces.push(code.length, from);
      code += src.slice(from, to);
    };
    let tokensOutsideStrings = false;
    while (i < n) {
      const c = src[i]!;
      if (c === '#') {
        append(chunkStart, i);
        const nl = src.indexOf('\n', i);
        i = nl === -1 ? n : nl;
        chunkStart = i;
        continue;
      }
      if (c === '\\' && (src[i + 1] === '\n' || src[i + 1] === '\r')) {
        append(chunkStart, i);
        code += ' ';
        i += src[i + 1] === '\r' && src[i + 2] === '\n' ? 3 : 2;
        chunkStart = i;
        continue;
      }
      if (c === '\n') {
        if (depth > 0) {
          i++;
          continue;
        }
        break;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
      if (c === '"' || c === "'") {
        const quoteStart = i;
        const triple = src[i + 1] === c && src[i + 2] === c;
        // raw prefix? look back over letters
        let p = i - 1;
        while (p >= chunkStart && /[rRbBuUfF]/.test(src[p]!)) p--;
        const raw = /[rR]/.test(src.slice(p + 1, i));
        const close = triple ? c.repeat(3) : c;
        let j = i + close.length;
        let value = '';
        const valueStart = j;
        for (;;) {
          if (j >= n) {
            tolerant = true;
            break;
          }
          const d = src[j]!;
          if (d === '\\') {
            j += 2;
            continue;
          }
          if (!triple && d === '\n') {
            tolerant = true;
            break;
          }
          if (src.startsWith(close, j)) break;
          j++;
        }
        value = src.slice(valueStart, Math.min(j, n));
        if (!raw && value.includes('\\')) value = unescapePython(value);
        strings.push({ value, offset: quoteStart, end: Math.min(n, j + close.length) });
        i = Math.min(n, j + close.length);
        continue;
      }
      if (c !== ' ' && c !== '\t' && c !== '\r' && !/[rRbBuUfF]/.test(c)) tokensOutsideStrings = true;
      else if (/[rRbBuUfF]/.test(c) && src[i + 1] !== '"' && src[i + 1] !== "'" && !/[rRbBuUfF]/.test(src[i + 1] ?? '')) tokensOutsideStrings = true;
      i++;
    }
    append(chunkStart, i);
    lines.push({ offset, indent, code, strings, pieces, bareString: strings.length > 0 && !tokensOutsideStrings });
    i++;
  }
  return { lines, tolerant };
}

/** The file offset of `code[index]` of a logical line. */
export function sourceOffset(line: PythonLine, index: number): number {
  const { pieces } = line;
  let at = line.offset;
  for (let p = 0; p < pieces.length && pieces[p]! <= index; p += 2) at = pieces[p + 1]! + (index - pieces[p]!);
  return at;
}

function unescapePython(raw: string): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, (m, e: string) => {
    if (e[0] === 'x' || e[0] === 'u' || e[0] === 'U') {
      const cp = parseInt(e.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    switch (e) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '\n': return '';
      case '\\':
      case "'":
      case '"': return e;
      default: return '\\' + e;
    }
  });
}
