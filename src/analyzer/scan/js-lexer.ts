/**
 * A tolerant single-pass JavaScript tokenizer. It understands what decides where code is —
 * comments, strings, template literals (with nested `${}`), regular expressions — so the
 * scanner never mistakes text for code, and it runs several times faster than a full parse,
 * which keeps cold analysis of large bundles fast. Anything it cannot make sense of (an
 * unterminated string, unbalanced brackets) marks the file `tolerant`.
 */

export const T_IDENT = 1;
export const T_STRING = 2;
export const T_TEMPLATE = 3;
export const T_NUMBER = 4;
export const T_PUNCT = 5;
export const T_REGEX = 6;

/** Punctuator codes for multi-character operators (single characters use their char code). */
export const P_ARROW = 1001;
export const P_EQUALITY = 1002;
export const P_OPTIONAL_DOT = 1003;
export const P_SPREAD = 1004;
export const P_COMPOUND_ASSIGN = 1005;
export const P_OTHER = 1006;

export interface JsTokens {
  count: number;
  type: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  /** Punctuator code for T_PUNCT; for strings, 1 when the literal contains a backslash. */
  value: Uint16Array;
  /** For `(`, `[`, `{` tokens: index of the matching closer, or -1. */
  match: Int32Array;
  /** Offsets of identifiers named like `_0x1f2e`. */
  hexNames: number;
  firstHexName: number;
  /** Offsets where code follows a long run of spaces on the same line. */
  hiddenAfterWhitespace: number[];
  /** Whether the tokenizer had to guess (unterminated literal, unbalanced bracket). */
  tolerant: boolean;
}

const regexKeywords = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/** Long whitespace followed by code on the same line: a known way to hide a payload off-screen. */
const hiddenWhitespaceRun = 150;

/** ASCII identifier characters: 1 = may start an identifier, 2 = may continue one. */
const identTable = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 36 || c === 95 || c === 92;
  identTable[c] = letter ? 3 : c >= 48 && c <= 57 ? 2 : 0;
}
function isIdentStart(c: number): boolean {
  return c < 128 ? (identTable[c]! & 1) !== 0 : true;
}
function isIdentPart(c: number): boolean {
  return c < 128 ? (identTable[c]! & 2) !== 0 : c !== 0x2028 && c !== 0x2029 && c !== 0xa0 && c !== 0xfeff;
}

/** Token buffers kept between files, so scanning thousands of files does not churn memory. */
interface TokenBuffers {
  type: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  value: Uint16Array;
  match: Int32Array;
}
const pool: TokenBuffers[] = [];

/** Returns a token set's buffers for reuse; the tokens must not be read afterwards. */
export function releaseTokens(tokens: JsTokens): void {
  if (pool.length < 4 && tokens.type.length <= 4 * 1024 * 1024) {
    pool.push({ type: tokens.type, start: tokens.start, end: tokens.end, value: tokens.value, match: tokens.match });
  }
}

export function lexJs(src: string): JsTokens {
  const n = src.length;
  const reused = pool.pop();
  let cap = reused ? reused.type.length : Math.max(1024, (n >> 3) + 16);
  let type = reused?.type ?? new Uint8Array(cap);
  let start = reused?.start ?? new Int32Array(cap);
  let end = reused?.end ?? new Int32Array(cap);
  let value = reused?.value ?? new Uint16Array(cap);
  let match = reused?.match ?? new Int32Array(cap);
  let count = 0;
  let tolerant = false;
  let hexNames = 0;
  let firstHexName = -1;
  const hidden: number[] = [];
  const openers: number[] = [];
  /** Brace stack entries: -1 for a template `${`, otherwise the token index of `{`. */
  const braces: number[] = [];

  const push = (t: number, s: number, e: number, v: number) => {
    if (count === cap) {
      cap *= 2;
      const t2 = new Uint8Array(cap); t2.set(type); type = t2;
      const s2 = new Int32Array(cap); s2.set(start); start = s2;
      const e2 = new Int32Array(cap); e2.set(end); end = e2;
      const v2 = new Uint16Array(cap); v2.set(value); value = v2;
      const m2 = new Int32Array(cap); m2.set(match); match = m2;
    }
    match[count] = -1;
    type[count] = t;
    start[count] = s;
    end[count] = e;
    value[count] = v;
    count++;
  };

  const regexAllowed = (): boolean => {
    if (count === 0) return true;
    const t = type[count - 1]!;
    if (t === T_PUNCT) {
      const v = value[count - 1]!;
      return v !== 41 && v !== 93; // ) ]
    }
    if (t === T_IDENT) return regexKeywords.has(src.slice(start[count - 1]!, end[count - 1]!));
    return false;
  };

  /** Scans a template chunk starting after "`" or "}"; returns the index after it and whether `${` follows. */
  const templateChunk = (from: number): number => {
    let i = from;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 92) i += 2;
      else if (c === 96) {
        push(T_TEMPLATE, from, i, 0);
        return i + 1;
      } else if (c === 36 && src.charCodeAt(i + 1) === 123) {
        push(T_TEMPLATE, from, i, 0);
        braces.push(-1);
        return i + 2;
      } else i++;
    }
    tolerant = true;
    push(T_TEMPLATE, from, n, 0);
    return n;
  };

  let i = 0;
  if (src.charCodeAt(0) === 35 && src.charCodeAt(1) === 33) {
    const nl = src.indexOf('\n');
    i = nl === -1 ? n : nl;
  }
  while (i < n) {
    const c = src.charCodeAt(i);
    // whitespace
    if (c === 32 || c === 9 || c === 0xa0 || c === 0xfeff || c === 11 || c === 12) {
      let j = i + 1;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 32 || d === 9 || d === 0xa0 || d === 11 || d === 12) j++;
        else break;
      }
      if (j - i >= hiddenWhitespaceRun && j < n) {
        const d = src.charCodeAt(j);
        if (d !== 10 && d !== 13 && !(d === 47 && (src.charCodeAt(j + 1) === 47 || src.charCodeAt(j + 1) === 42))) hidden.push(j);
      }
      i = j;
      continue;
    }
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      i++;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      if (c === 95 && src.charCodeAt(i + 1) === 48 && (src.charCodeAt(i + 2) | 32) === 120 && j - i >= 5) {
        hexNames++;
        if (firstHexName < 0) firstHexName = i;
      }
      push(T_IDENT, i, j, 0);
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n) {
        const d = src.charCodeAt(j);
        if ((d >= 48 && d <= 57) || (d >= 97 && d <= 122) || (d >= 65 && d <= 90) || d === 95 || d === 46) j++;
        else break;
      }
      push(T_NUMBER, i, j, 0);
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      let j = i + 1;
      let escaped = 0;
      for (;;) {
        if (j >= n) {
          tolerant = true;
          break;
        }
        const d = src.charCodeAt(j);
        if (d === c) {
          j++;
          break;
        }
        if (d === 92) {
          escaped = 1;
          j += 2;
          continue;
        }
        if (d === 10 || d === 13) {
          tolerant = true;
          break;
        }
        j++;
      }
      push(T_STRING, i, j, escaped);
      i = j;
      continue;
    }
    if (c === 96) {
      i = templateChunk(i + 1);
      continue;
    }
    if (c === 47) {
      const d = src.charCodeAt(i + 1);
      if (d === 47) {
        const nl = src.indexOf('\n', i + 2);
        i = nl === -1 ? n : nl;
        continue;
      }
      if (d === 42) {
        const close = src.indexOf('*/', i + 2);
        if (close === -1) {
          tolerant = true;
          i = n;
        } else i = close + 2;
        continue;
      }
      if (regexAllowed()) {
        let j = i + 1;
        let inClass = false;
        for (;;) {
          if (j >= n) {
            tolerant = true;
            break;
          }
          const e = src.charCodeAt(j);
          if (e === 92) {
            j += 2;
            continue;
          }
          if (e === 10 || e === 13) {
            tolerant = true;
            break;
          }
          if (e === 91) inClass = true;
          else if (e === 93) inClass = false;
          else if (e === 47 && !inClass) {
            j++;
            while (j < n && isIdentPart(src.charCodeAt(j))) j++;
            break;
          }
          j++;
        }
        push(T_REGEX, i, j, 0);
        i = j;
        continue;
      }
      const e = src.charCodeAt(i + 1);
      push(T_PUNCT, i, e === 61 ? i + 2 : i + 1, e === 61 ? P_COMPOUND_ASSIGN : 47);
      i += e === 61 ? 2 : 1;
      continue;
    }
    // punctuators
    if (c === 40 || c === 91 || c === 123) {
      if (c === 123) braces.push(count);
      openers.push(count);
      push(T_PUNCT, i, i + 1, c);
      i++;
      continue;
    }
    if (c === 41 || c === 93 || c === 125) {
      if (c === 125 && braces.length > 0 && braces[braces.length - 1] === -1) {
        braces.pop();
        i = templateChunk(i + 1);
        continue;
      }
      if (c === 125) braces.pop();
      const open = openers.pop();
      if (open === undefined) tolerant = true;
      else {
        const expected = c === 41 ? 40 : c === 93 ? 91 : 123;
        if (value[open] !== expected) tolerant = true;
        match[open] = count;
      }
      push(T_PUNCT, i, i + 1, c);
      i++;
      continue;
    }
    const d = src.charCodeAt(i + 1);
    if (c === 61) {
      // = == === =>
      if (d === 62) { push(T_PUNCT, i, i + 2, P_ARROW); i += 2; continue; }
      if (d === 61) { const len = src.charCodeAt(i + 2) === 61 ? 3 : 2; push(T_PUNCT, i, i + len, P_EQUALITY); i += len; continue; }
      push(T_PUNCT, i, i + 1, 61); i++; continue;
    }
    if (c === 33) {
      if (d === 61) { const len = src.charCodeAt(i + 2) === 61 ? 3 : 2; push(T_PUNCT, i, i + len, P_EQUALITY); i += len; continue; }
      push(T_PUNCT, i, i + 1, 33); i++; continue;
    }
    if (c === 46) {
      if (d === 46 && src.charCodeAt(i + 2) === 46) { push(T_PUNCT, i, i + 3, P_SPREAD); i += 3; continue; }
      if (d >= 48 && d <= 57) {
        let j = i + 1;
        while (j < n && /[0-9a-zA-Z_]/.test(src[j]!)) j++;
        push(T_NUMBER, i, j, 0); i = j; continue;
      }
      push(T_PUNCT, i, i + 1, 46); i++; continue;
    }
    if (c === 63) {
      if (d === 46 && !(src.charCodeAt(i + 2) >= 48 && src.charCodeAt(i + 2) <= 57)) { push(T_PUNCT, i, i + 2, P_OPTIONAL_DOT); i += 2; continue; }
      if (d === 63) {
        if (src.charCodeAt(i + 2) === 61) { push(T_PUNCT, i, i + 3, P_COMPOUND_ASSIGN); i += 3; continue; }
        push(T_PUNCT, i, i + 2, P_OTHER); i += 2; continue;
      }
      push(T_PUNCT, i, i + 1, 63); i++; continue;
    }
    if (c === 43 || c === 45) {
      if (d === c) { push(T_PUNCT, i, i + 2, P_OTHER); i += 2; continue; }
      if (d === 61) { push(T_PUNCT, i, i + 2, P_COMPOUND_ASSIGN); i += 2; continue; }
      push(T_PUNCT, i, i + 1, c); i++; continue;
    }
    if (c === 38 || c === 124 || c === 42 || c === 37 || c === 60 || c === 62 || c === 94) {
      // & | * % < > ^ and their doubled / assigning forms
      let j = i + 1;
      while (j < n && j < i + 3 && (src.charCodeAt(j) === c || (c === 62 && src.charCodeAt(j) === 62))) j++;
      if (src.charCodeAt(j) === 61) {
        push(T_PUNCT, i, j + 1, (c === 60 || c === 62) && j === i + 1 ? P_OTHER : P_COMPOUND_ASSIGN);
        i = j + 1;
        continue;
      }
      push(T_PUNCT, i, j, j === i + 1 ? c : P_OTHER);
      i = j;
      continue;
    }
    if (c === 35) {
      // private name #x
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      push(T_IDENT, i, j, 0);
      i = j === i + 1 ? i + 1 : j;
      continue;
    }
    push(T_PUNCT, i, i + 1, c);
    i++;
  }
  if (openers.length > 0 || braces.length > 0) tolerant = true;
  return { count, type, start, end, value, match, hexNames, firstHexName, hiddenAfterWhitespace: hidden, tolerant };
}

/** The value of a string literal token (quotes removed, escapes decoded). */
export function stringValue(src: string, tokens: JsTokens, i: number): string {
  const t = tokens.type[i];
  const s = tokens.start[i]!;
  const e = tokens.end[i]!;
  const raw = t === T_TEMPLATE ? src.slice(s, e) : src.slice(s + 1, Math.max(s + 1, e - 1));
  if (t === T_STRING && tokens.value[i] === 0) return raw;
  if (!raw.includes('\\')) return raw;
  return unescapeJs(raw);
}

export function unescapeJs(raw: string): string {
  return raw.replace(/\\(u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([0-7]{1,3})|\r\n|[\s\S])/g, (m, _all, cp, u4, x2, oct) => {
    if (cp) return safeFromCodePoint(parseInt(cp, 16));
    if (u4) return String.fromCharCode(parseInt(u4, 16));
    if (x2) return String.fromCharCode(parseInt(x2, 16));
    if (oct) return String.fromCharCode(parseInt(oct, 8));
    const ch = m[1]!;
    switch (ch) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case '\n':
      case '\r\n':
      case '\r': return '';
      default: return ch;
    }
  });
}

function safeFromCodePoint(cp: number): string {
  return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
}
