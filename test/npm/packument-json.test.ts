import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assertValidJson, indexJson, type IndexedMember, type JsonShape } from '../../src/ecosystems/npm/json-members.js';
import { readPackument } from '../../src/ecosystems/npm/read-packument.js';

const accepts = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

/** Random JSON text: values with odd whitespace, escaped keys, duplicate keys and deep nesting. */
const jsonText = fc.letrec<{ value: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('null', 'true', 'false', '0', '-0', '1.5e-3', '-12E+2', '"a"', '"\\u00e9\\n\\"\\\\"', '"é"'),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
    fc.string().map((s) => JSON.stringify(s)),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[ ${items.join(' ,\n')} ]`),
    tie('object'),
  ),
  object: fc
    .array(fc.tuple(fc.oneof(fc.constantFrom('dist', 'time', 'versions', 'a', '__proto__'), fc.string()), tie('value')), { maxLength: 5 })
    .map((members) => `{${members.map(([k, v]) => `\t${JSON.stringify(k).replace(/^"a/, '"\\u0061')} :${v}`).join(',')}\r\n}`),
})).value;

/** The text with one byte overwritten, removed or inserted, or cut short. */
const mutated = fc.tuple(jsonText, fc.nat(), fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 3 })).map(([text, at, byte, how]) => {
  const i = text.length === 0 ? 0 : at % text.length;
  const c = String.fromCharCode(byte);
  return [text.slice(0, i) + c + text.slice(i + 1), text.slice(0, i) + text.slice(i + 1), text.slice(0, i) + c + text.slice(i), text.slice(0, i)][how]!;
});

/** A shape recording every object's members, however deep. */
const all: JsonShape = { get other() { return all; } };

describe('the packument JSON validator and indexer', () => {
  it('accepts exactly the texts JSON.parse accepts, valid or damaged', () => {
    fc.assert(
      fc.property(fc.oneof(jsonText, mutated), (text) => {
        const parses = accepts(() => JSON.parse(text));
        expect(accepts(() => assertValidJson(Buffer.from(text)))).toBe(parses);
        const isObject = parses && /^\s*\{/.test(text);
        expect(accepts(() => indexJson(Buffer.from(text), all))).toBe(isObject);
      }),
      { numRuns: 3000 },
    );
  });

  it('records each member with its decoded key and the exact bytes of its value, as JSON.parse reads them', () => {
    const check = (buf: Buffer, members: IndexedMember[], parsed: Record<string, unknown>) => {
      const last = new Map(members.map((m) => [m.key, m]));
      expect([...last.keys()].sort()).toEqual(Object.keys(parsed).sort());
      for (const [key, m] of last) {
        const value = JSON.parse(buf.toString('utf8', m.valueStart, m.valueEnd)) as unknown;
        expect(value).toEqual(parsed[key]);
        expect(JSON.parse(buf.toString('utf8', m.keyStart, m.valueStart).replace(/\s*:\s*$/, ''))).toBe(key);
        if (m.members) check(buf, m.members, value as Record<string, unknown>);
      }
    };
    fc.assert(
      fc.property(jsonText.filter((t) => t.startsWith('{')), (text) => {
        const buf = Buffer.from(text);
        check(buf, indexJson(buf, all), JSON.parse(text) as Record<string, unknown>);
      }),
      { numRuns: 2000 },
    );
  });

  it('records only the objects the shape names', () => {
    const buf = Buffer.from('{"versions":{"1.0.0":{"dist":{"tarball":"t"},"deps":{"x":"1"}}},"other":{"y":1}}');
    const [versions, other] = indexJson(buf, { named: new Map([['versions', { other: { named: new Map([['dist', {}]]) } }]]) });
    const [v] = versions!.members!;
    expect(v!.members!.map((m) => [m.key, m.members?.map((d) => d.key) ?? null])).toEqual([['dist', ['tarball']], ['deps', null]]);
    expect(other!.members).toBeNull();
  });

  it('records only the members a shape lists, and still refuses damage in the others', () => {
    const only: JsonShape = { named: new Map([['v', { only: new Set(['keep', 'dist']), named: new Map([['dist', {}]]) }]]) };
    const text = '{"v":{"skip":[1,{"a":2}],"keep":"x","dist":{"t":1},"other":null,"keep":3}}';
    const [v] = indexJson(Buffer.from(text), only);
    expect(v?.members?.map((m) => [m.key, text.slice(m.valueStart, m.valueEnd)])).toEqual([['keep', '"x"'], ['dist', '{"t":1}'], ['keep', '3']]);
    expect(v?.members?.[1]?.members?.map((m) => m.key)).toEqual(['t']);
    expect(() => indexJson(Buffer.from('{"v":{"skip":[1,],"keep":1}}'), only)).toThrow(SyntaxError);
  });

  it('reads or refuses documents nested a million levels deep without exhausting the stack', () => {
    const deep = Buffer.from(`{"a":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`);
    expect(() => indexJson(deep, all)).not.toThrow();
    expect(() => assertValidJson(Buffer.from('['.repeat(1_000_000)))).toThrow(SyntaxError);
  });

  it('refuses a packument a client would read differently, as an upstream error naming the package', () => {
    for (const text of ['{"versions":{"1.0.0":{"dist":{"tarball":"x"}}}', '{"name":"a\u0001"}', '{"a":1} {"b":2}', '["not an object"]', '{"a":"\\x"}']) {
      expect(() => readPackument('demo', Buffer.from(text), () => {})).toThrow(/unreadable packument for npm:demo/);
    }
  });
});
