import { describe, expect, it } from 'vitest';
import { packedIncludes, packVersions, unpackVersions } from '../../src/ecosystems/npm/packed-versions.js';

describe('packed version lists', () => {
  it('answers membership and gives the list back in order', () => {
    const versions = ['1.0.0', '1.0.1', '2.0.0-beta.1', '10.0.0'];
    const packed = packVersions(versions);
    expect(typeof packed).toBe('string');
    expect(unpackVersions(packed)).toEqual(versions);
    for (const v of versions) expect(packedIncludes(packed, v)).toBe(true);
    // Only whole versions match, never a part of one or of two.
    for (const v of ['1.0', '0.0', '0.0.1', '2.0.0-beta', '1.0.0\n1.0.1', '', '\n']) expect(packedIncludes(packed, v), JSON.stringify(v)).toBe(false);
    expect(unpackVersions(packVersions([]))).toEqual([]);
    expect(packedIncludes(packVersions([]), '')).toBe(false);
  });

  it('keeps an array when upstream names a version with the separator, so no lookup spans two versions', () => {
    const hostile = ['1.0.0\n2.0.0', '3.0.0'];
    const packed = packVersions(hostile);
    expect(Array.isArray(packed)).toBe(true);
    expect(packedIncludes(packed, '2.0.0')).toBe(false);
    expect(packedIncludes(packed, '1.0.0')).toBe(false);
    expect(packedIncludes(packed, '1.0.0\n2.0.0')).toBe(true);
    expect(unpackVersions(packed)).toEqual(hostile);
  });
});
