/**
 * Byte positions of the members of a JSON object inside a buffer, so documents can be re-emitted
 * from upstream's own bytes (version objects stay byte-for-byte what upstream sent) without
 * serialising them again. `objectMembers` is only used on text `assertValidJson` has accepted,
 * so it need not diagnose malformed input, only agree with a conforming parser on valid JSON.
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

/**
 * Throws a SyntaxError unless `buf` is one valid JSON text (RFC 8259). A byte-level pass that
 * builds nothing: a 10 MB packument is checked without the ~100 MB of objects `JSON.parse` would
 * allocate, so the byte scanner never sees text a client's parser would read differently.
 * Nesting is tracked on an explicit stack, so deep documents cannot exhaust the call stack.
 */
export function assertValidJson(buf: Buffer): void {
  const stack: number[] = [];
  let i = skipSpace(buf, 0);
  for (;;) {
    const c = buf[i];
    if (c === OPEN_BRACE) {
      i = skipSpace(buf, i + 1);
      if (buf[i] === CLOSE_BRACE) i++;
      else {
        stack.push(OPEN_BRACE);
        i = expectKey(buf, i);
        continue;
      }
    } else if (c === OPEN_BRACKET) {
      i = skipSpace(buf, i + 1);
      if (buf[i] === CLOSE_BRACKET) i++;
      else {
        stack.push(OPEN_BRACKET);
        continue;
      }
    } else if (c === QUOTE) i = validString(buf, i);
    else i = validScalar(buf, i);

    // After a value: close finished containers, or move to the next member or element.
    for (;;) {
      i = skipSpace(buf, i);
      if (stack.length === 0) {
        if (i !== buf.length) throw new SyntaxError(`unexpected data after the JSON value at byte ${i}`);
        return;
      }
      const top = stack[stack.length - 1];
      const d = buf[i];
      if (d === COMMA) {
        i = skipSpace(buf, i + 1);
        if (top === OPEN_BRACE) i = expectKey(buf, i);
        break;
      }
      if ((top === OPEN_BRACE && d === CLOSE_BRACE) || (top === OPEN_BRACKET && d === CLOSE_BRACKET)) {
        stack.pop();
        i++;
        continue;
      }
      throw new SyntaxError(`expected ',' or a closing bracket at byte ${i}`);
    }
  }
}

/** Validates `"key" :` at `i` and returns where the value starts. */
function expectKey(buf: Buffer, i: number): number {
  if (buf[i] !== QUOTE) throw new SyntaxError(`expected a key at byte ${i}`);
  i = skipSpace(buf, validString(buf, i));
  if (buf[i] !== COLON) throw new SyntaxError(`expected ':' at byte ${i}`);
  return skipSpace(buf, i + 1);
}

const escapes = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

function validString(buf: Buffer, start: number): number {
  let i = start + 1;
  while (i < buf.length) {
    const c = buf[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = buf[i + 1];
      if (e === 0x75) {
        for (let k = 2; k < 6; k++) if (!isHex(buf[i + k])) throw new SyntaxError(`bad \\u escape at byte ${i}`);
        i += 6;
      } else if (e !== undefined && escapes.has(e)) i += 2;
      else throw new SyntaxError(`bad escape at byte ${i}`);
      continue;
    }
    if (c < 0x20) throw new SyntaxError(`control character in a string at byte ${i}`);
    i++;
  }
  throw new SyntaxError('unterminated JSON string');
}

function validScalar(buf: Buffer, start: number): number {
  for (const literal of literals) {
    if (buf.length - start >= literal.length && buf.compare(literal, 0, literal.length, start, start + literal.length) === 0) return start + literal.length;
  }
  let i = start;
  if (buf[i] === 0x2d) i++;
  if (buf[i] === 0x30) i++;
  else if (isDigit(buf[i]) && buf[i] !== 0x30) while (isDigit(buf[i])) i++;
  else throw new SyntaxError(`unexpected byte at ${start}`);
  if (buf[i] === 0x2e) {
    i++;
    if (!isDigit(buf[i])) throw new SyntaxError(`bad number at byte ${start}`);
    while (isDigit(buf[i])) i++;
  }
  if (buf[i] === 0x65 || buf[i] === 0x45) {
    i++;
    if (buf[i] === 0x2b || buf[i] === 0x2d) i++;
    if (!isDigit(buf[i])) throw new SyntaxError(`bad number at byte ${start}`);
    while (isDigit(buf[i])) i++;
  }
  return i;
}

const literals = [Buffer.from('true'), Buffer.from('false'), Buffer.from('null')];

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}
