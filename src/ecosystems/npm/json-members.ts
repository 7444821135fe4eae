/**
 * Byte positions of the members of a JSON object inside a buffer, so documents can be re-emitted
 * from upstream's own bytes (version objects stay byte-for-byte what upstream sent) without
 * serialising them again. `indexJson` validates a whole document and records the members of the
 * objects a shape asks for in the same pass, so positions are only ever taken from text a
 * conforming parser reads the same way.
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

/**
 * Which objects `indexJson` records the members of, below the top-level object (whose members are
 * always recorded): a member's value is indexed with the shape its key names, else with `other`;
 * a value without a shape (or not an object) is validated only.
 */
export interface JsonShape {
  readonly named?: ReadonlyMap<string, JsonShape>;
  readonly other?: JsonShape;
  /**
   * Only members with these keys are recorded (every member is still validated): a packument's
   * version objects carry dozens of members Airlock never reads, and an object per member was
   * most of the garbage of reading one. @default every member
   */
  readonly only?: ReadonlySet<string>;
}

/** A member `indexJson` recorded, with the members of its value when the shape asked for them. */
export interface IndexedMember extends JsonMember {
  /** The value's members in document order, when it is an object the shape names; else null. */
  members: IndexedMember[] | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

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

/** Keys up to this many bytes are looked up in a document's key cache before being decoded. */
const cachedKeyBytes = 32;

/**
 * The keys of one document already decoded, by a hash of their bytes (a colliding key replaces
 * the one cached): a packument repeats the same dozen keys in every version, and decoding each
 * afresh was most of the cost of indexing it.
 */
class KeyCache {
  private readonly keys = new Map<number, { start: number; end: number; key: string }>();

  constructor(private readonly buf: Buffer) {}

  /** The key whose quoted bytes are `[start, end)`. */
  key(start: number, end: number): string {
    const buf = this.buf;
    const length = end - start;
    if (length > cachedKeyBytes + 2) return decodeKey(buf, start, end);
    let hash = length;
    for (let j = start + 1; j < end - 1; j++) hash = (Math.imul(hash, 31) + buf[j]!) | 0;
    const hit = this.keys.get(hash);
    if (hit && hit.end - hit.start === length) {
      let same = true;
      for (let j = 1; j < length - 1 && same; j++) same = buf[start + j] === buf[hit.start + j];
      if (same) return hit.key;
    }
    const key = decodeKey(buf, start, end);
    this.keys.set(hash, { start, end, key });
    return key;
  }
}

/**
 * Throws a SyntaxError unless `buf` is one valid JSON text (RFC 8259). A byte-level pass that
 * builds nothing: a 10 MB packument is checked without the ~100 MB of objects `JSON.parse` would
 * allocate, so the byte scanner never sees text a client's parser would read differently.
 */
export function assertValidJson(buf: Buffer): void {
  scanJson(buf, undefined);
}

/**
 * Validates `buf` as one JSON text, exactly as `assertValidJson` does, and in the same pass records
 * the members of its top-level object and of the objects `shape` names below it. Throws a
 * SyntaxError for invalid JSON or a top-level value that is not an object. One pass over the
 * bytes: a packument's versions are neither scanned again to find their members nor parsed.
 */
export function indexJson(buf: Buffer, shape: JsonShape): IndexedMember[] {
  const members = scanJson(buf, shape);
  if (!members) throw new SyntaxError(`expected an object at byte ${skipSpace(buf, 0)}`);
  return members;
}

/**
 * The validating scanner. Nesting is tracked on explicit stacks (one entry per open container), so
 * deep documents cannot exhaust the call stack. Returns the top-level object's members when a
 * shape is given and the top-level value is an object; otherwise null.
 */
function scanJson(buf: Buffer, shape: JsonShape | undefined): IndexedMember[] | null {
  const kinds: number[] = [];
  /** Members being recorded per open container (null: not recorded). */
  const lists: (IndexedMember[] | null)[] = [];
  const shapes: (JsonShape | undefined)[] = [];
  /** The recorded member whose value each open container is (null: none). */
  const owners: (IndexedMember | null)[] = [];
  let root: IndexedMember[] | null = null;
  /** The shape of the value starting at `i` (undefined: its members are not recorded). */
  let next: JsonShape | undefined = shape;
  /** The recorded member whose value starts at `i`. */
  let member: IndexedMember | null = null;
  let i = skipSpace(buf, 0);
  const keys = new KeyCache(buf);

  /** Reads `"key" :` at `i` in the innermost (object) container, moves `i` to its value and sets `next`; returns the member if recorded. */
  const key = (): IndexedMember | null => {
    if (buf[i] !== QUOTE) throw new SyntaxError(`expected a key at byte ${i}`);
    const keyStart = i;
    const keyEnd = validString(buf, i);
    i = skipSpace(buf, keyEnd);
    if (buf[i] !== COLON) throw new SyntaxError(`expected ':' at byte ${i}`);
    i = skipSpace(buf, i + 1);
    const list = lists[lists.length - 1];
    if (!list) {
      next = undefined;
      return null;
    }
    const name = keys.key(keyStart, keyEnd);
    const s = shapes[shapes.length - 1];
    if (s?.only && !s.only.has(name)) {
      next = undefined;
      return null;
    }
    const recorded: IndexedMember = { key: name, keyStart, valueStart: i, valueEnd: i, members: null };
    list.push(recorded);
    next = s?.named?.get(name) ?? s?.other;
    return recorded;
  };

  for (;;) {
    const c = buf[i];
    if (c === OPEN_BRACE) {
      const list: IndexedMember[] | null = next ? [] : null;
      if (member) member.members = list;
      else if (kinds.length === 0) root = list;
      i = skipSpace(buf, i + 1);
      if (buf[i] === CLOSE_BRACE) {
        i++;
        if (member) member.valueEnd = i;
      } else {
        kinds.push(OPEN_BRACE);
        lists.push(list);
        shapes.push(next);
        owners.push(member);
        member = key();
        continue;
      }
    } else if (c === OPEN_BRACKET) {
      i = skipSpace(buf, i + 1);
      if (buf[i] === CLOSE_BRACKET) {
        i++;
        if (member) member.valueEnd = i;
      } else {
        kinds.push(OPEN_BRACKET);
        lists.push(null);
        shapes.push(undefined);
        owners.push(member);
        member = null;
        next = undefined;
        continue;
      }
    } else {
      i = c === QUOTE ? validString(buf, i) : validScalar(buf, i);
      if (member) member.valueEnd = i;
    }

    // After a value: close finished containers, or move to the next member or element.
    for (;;) {
      i = skipSpace(buf, i);
      if (kinds.length === 0) {
        if (i !== buf.length) throw new SyntaxError(`unexpected data after the JSON value at byte ${i}`);
        return root;
      }
      const top = kinds[kinds.length - 1];
      const d = buf[i];
      if (d === COMMA) {
        i = skipSpace(buf, i + 1);
        if (top === OPEN_BRACE) member = key();
        else {
          member = null;
          next = undefined;
        }
        break;
      }
      if ((top === OPEN_BRACE && d === CLOSE_BRACE) || (top === OPEN_BRACKET && d === CLOSE_BRACKET)) {
        kinds.pop();
        lists.pop();
        shapes.pop();
        const owner = owners.pop();
        i++;
        if (owner) owner.valueEnd = i;
        continue;
      }
      throw new SyntaxError(`expected ',' or a closing bracket at byte ${i}`);
    }
  }
}

/** Bytes that may follow a backslash (besides `u`): `" \\ / b f n r t`. */
const simpleEscape = new Uint8Array(256);
for (const c of [0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]) simpleEscape[c] = 1;

/**
 * Offset just past the valid string whose opening quote is at `start`: one pass over its bytes,
 * each checked once (closing quote, escape, control character). Packument strings are short (a
 * name, a version, a digest), so one loop beats finding the quote natively and then checking the
 * bytes before it in a second one.
 */
function validString(buf: Buffer, start: number): number {
  const end = buf.length;
  let i = start + 1;
  while (i < end) {
    const c = buf[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i = escapeEnd(buf, i);
    else if (c < 0x20) throw new SyntaxError(`control character in a string at byte ${i}`);
    else i++;
  }
  throw new SyntaxError('unterminated JSON string');
}

/** Offset just past the valid escape whose backslash is at `i`. */
function escapeEnd(buf: Buffer, i: number): number {
  const e = buf[i + 1];
  if (e === 0x75) {
    for (let k = 2; k < 6; k++) if (!isHex(buf[i + k])) throw new SyntaxError(`bad \\u escape at byte ${i}`);
    return i + 6;
  }
  if (e !== undefined && simpleEscape[e] === 1) return i + 2;
  throw new SyntaxError(`bad escape at byte ${i}`);
}

function validScalar(buf: Buffer, start: number): number {
  const c = buf[start];
  if (c === 0x74) return literal(buf, start, 'true');
  if (c === 0x66) return literal(buf, start, 'false');
  if (c === 0x6e) return literal(buf, start, 'null');
  let i = start;
  if (buf[i] === 0x2d) i++;
  if (buf[i] === 0x30) i++;
  else if (isDigit(buf[i])) while (isDigit(buf[i])) i++;
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

/** Offset just past `word` at `start` (an ASCII literal), or a SyntaxError. */
function literal(buf: Buffer, start: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (buf[start + k] !== word.charCodeAt(k)) throw new SyntaxError(`unexpected byte at ${start}`);
  return start + word.length;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}
