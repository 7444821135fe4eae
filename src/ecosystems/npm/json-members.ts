/**
 * Byte positions of the members of a JSON object inside a buffer, so documents can be re-emitted
 * from upstream's own bytes (version objects stay byte-for-byte what upstream sent) without
 * serialising them again. Only ever used on text `JSON.parse` has accepted, so it need not
 * diagnose malformed input, only agree with a conforming parser on valid JSON.
 */
export interface JsonMember {
  /** The decoded key. */
  key: string;
  /** Offset of the key's opening quote. */
  keyStart: number;
  /** Offset of the value's first byte. */
  valueStart: number;
  /** Offset just past the value's last byte. */
  valueEnd: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** The members of the object starting at `start` (its `{`), in document order. */
export function objectMembers(buf: Buffer, start: number): JsonMember[] {
  let i = skipSpace(buf, start);
  if (buf[i] !== OPEN_BRACE) throw new SyntaxError(`expected an object at byte ${i}`);
  const members: JsonMember[] = [];
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACE) return members;
  for (;;) {
    if (buf[i] !== QUOTE) throw new SyntaxError(`expected a key at byte ${i}`);
    const keyStart = i;
    const keyEnd = skipString(buf, i);
    i = skipSpace(buf, keyEnd);
    if (buf[i] !== COLON) throw new SyntaxError(`expected ':' at byte ${i}`);
    const valueStart = skipSpace(buf, i + 1);
    const valueEnd = skipValue(buf, valueStart);
    members.push({ key: decodeKey(buf, keyStart, keyEnd), keyStart, valueStart, valueEnd });
    i = skipSpace(buf, valueEnd);
    if (buf[i] === COMMA) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    if (buf[i] === CLOSE_BRACE) return members;
    throw new SyntaxError(`expected ',' or '}' at byte ${i}`);
  }
}

/** Offset just past the JSON value starting at `start`. */
export function skipValue(buf: Buffer, start: number): number {
  const first = buf[start];
  if (first === QUOTE) return skipString(buf, start);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number or literal: it ends at the next structural byte or whitespace.
    let i = start;
    while (i < buf.length) {
      const c = buf[i]!;
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 0x20) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  let i = start;
  while (i < buf.length) {
    const c = buf[i]!;
    if (c === QUOTE) {
      i = skipString(buf, i);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw new SyntaxError('unterminated JSON value');
}

/** Offset just past the string whose opening quote is at `start`. */
function skipString(buf: Buffer, start: number): number {
  let i = start + 1;
  for (;;) {
    // indexOf is a native memchr: strings (readmes, URLs, hashes) are most of a packument's bytes.
    const quote = buf.indexOf(QUOTE, i);
    if (quote < 0) throw new SyntaxError('unterminated JSON string');
    let backslashes = 0;
    for (let j = quote - 1; j > start && buf[j] === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function decodeKey(buf: Buffer, start: number, end: number): string {
  const raw = buf.toString('utf8', start + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}
