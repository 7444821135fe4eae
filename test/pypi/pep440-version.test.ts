import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { versionOfFile } from '../../src/ecosystems/pypi/file-version.js';
import { negotiateFormat } from '../../src/ecosystems/pypi/negotiate-format.js';
import { canonicalVersion, compareVersions, isPrerelease, normalizeVersion } from '../../src/ecosystems/pypi/pep440-version.js';

describe('PEP 440 versions', () => {
  it('orders dev, pre, final, post and local releases as packaging does', () => {
    // The ordering example from PEP 440, plus epochs and local labels.
    const ordered = [
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0rc1.dev456',
      '1.0rc1',
      '1.0',
      '1.0+abc.5',
      '1.0+abc.7',
      '1.0+5',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.0.15',
      '1.1.dev1',
      '20240101',
      '1!0.1',
    ];
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort(compareVersions)).toEqual(ordered);
  });

  it('treats trailing zeros and spelling variants as the same version', () => {
    expect(compareVersions('1.0', '1.0.0')).toBe(0);
    expect(compareVersions('1.0-ALPHA.1', '1.0a1')).toBe(0);
    expect(compareVersions('v2.0-rev3', '2.0.post3')).toBe(0);
    expect(compareVersions('99999999999999999999.1', '99999999999999999998.9')).toBeGreaterThan(0);
  });

  it('normalises spellings', () => {
    expect(normalizeVersion('1.0-ALPHA.1')).toBe('1.0a1');
    expect(normalizeVersion('1!2.0.post')).toBe('1!2.0.post0');
    expect(normalizeVersion('1.0-1')).toBe('1.0.post1');
    expect(normalizeVersion('01.002c3.DEV04+Ubuntu-1')).toBe('1.2rc3.dev4+ubuntu.1');
    expect(normalizeVersion('1.0.x')).toBeNull();
  });

  it('gives every spelling pip treats as one version one release key', () => {
    expect(canonicalVersion('1.2')).toBe('1.2');
    expect(canonicalVersion('1.2.0')).toBe('1.2');
    expect(canonicalVersion('1.2.0.0')).toBe('1.2');
    expect(canonicalVersion('1.2.0.post0')).toBe(canonicalVersion('1.2.post0'));
    expect(canonicalVersion('1.0a1')).toBe(canonicalVersion('1.0.0-alpha.1'));
    expect(canonicalVersion('1.0.0-alpha.1')).toBe('1a1');
    expect(canonicalVersion('0.0')).toBe('0');
    expect(canonicalVersion('1!2.0.0+Local.1')).toBe('1!2+local.1');
    expect(canonicalVersion('1.0+cpu')).not.toBe(canonicalVersion('1.0'));
    expect(canonicalVersion('1.0.x')).toBeNull();
  });

  it('keys two versions alike exactly when PEP 440 orders them equal, however they are spelled', () => {
    const num = fc.integer({ min: 0, max: 3 }).chain((n) => fc.constantFrom(String(n), `0${n}`));
    const sep = fc.constantFrom('', '.', '-', '_');
    const parts = fc.record({
        epoch: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
        release: fc.array(num, { minLength: 1, maxLength: 4 }),
        pre: fc.option(fc.tuple(sep, fc.constantFrom('a', 'alpha', 'b', 'beta', 'c', 'rc', 'pre', 'preview', 'RC'), num), { nil: undefined }),
        post: fc.option(fc.tuple(fc.constantFrom('.post', '-post', 'post', '.r', '-rev', '-'), num), { nil: undefined }),
        dev: fc.option(fc.tuple(fc.constantFrom('.dev', 'dev', '-DEV'), num), { nil: undefined }),
        local: fc.option(fc.constantFrom('+cpu', '+CPU', '+1', '+ubuntu.1', '+ubuntu-1'), { nil: undefined }),
      });
    type Parts = typeof parts extends fc.Arbitrary<infer T> ? T : never;
    const spell = (v: Parts, zeros = 0) =>
      `${v.epoch !== undefined ? `${v.epoch}!` : ''}${[...v.release, ...Array<string>(zeros).fill('0')].join('.')}${v.pre ? v.pre.join('') : ''}${v.post ? v.post.join('') : ''}${v.dev ? v.dev.join('') : ''}${v.local ?? ''}`;
    const version = parts.map((v) => spell(v));
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(canonicalVersion(a), a).not.toBeNull();
        expect(canonicalVersion(a) === canonicalVersion(b)).toBe(compareVersions(a, b) === 0);
      }),
      { numRuns: 2000 },
    );
    // The same version with zeros padded onto its release segment is always the same key.
    fc.assert(
      fc.property(parts, fc.integer({ min: 1, max: 3 }), (v, zeros) => {
        expect(canonicalVersion(spell(v, zeros))).toBe(canonicalVersion(spell(v)));
      }),
      { numRuns: 500 },
    );
  });

  it('sorts versions that are not PEP 440 before every valid one', () => {
    expect(['1.0', 'banana', '0.1'].sort(compareVersions)).toEqual(['banana', '0.1', '1.0']);
  });

  it('calls pre-releases and dev releases pre-releases, post releases not', () => {
    expect(isPrerelease('1.0rc1')).toBe(true);
    expect(isPrerelease('1.0.dev3')).toBe(true);
    expect(isPrerelease('1.0.post1')).toBe(false);
    expect(isPrerelease('1.0+local')).toBe(false);
  });
});

describe('file names', () => {
  it('reads the version of wheels, eggs and sdists, including legacy sdist names with dashes', () => {
    expect(versionOfFile('Demo_Py-1.0-py3-none-any.whl', 'demo-py')).toBe('1.0');
    expect(versionOfFile('demo_py-1.0-1-py3-none-any.whl', 'demo-py')).toBe('1.0');
    expect(versionOfFile('torch-2.0.0+cu118-cp311-cp311-linux_x86_64.whl', 'torch')).toBe('2.0.0+cu118');
    expect(versionOfFile('python-dateutil-2.8.2.tar.gz', 'python-dateutil')).toBe('2.8.2');
    expect(versionOfFile('demo.py-1.0rc1.zip', 'demo-py')).toBe('1.0rc1');
    expect(versionOfFile('demo_py-1.0-py2.7.egg', 'demo-py')).toBe('1.0');
  });

  it('refuses files that belong to another project or carry no version', () => {
    expect(versionOfFile('other-1.0-py3-none-any.whl', 'demo-py')).toBeNull();
    expect(versionOfFile('demo_py-latest.tar.gz', 'demo-py')).toBeNull();
    expect(versionOfFile('demo_py-1.0.exe', 'demo-py')).toBeNull();
  });
});

describe('PEP 691 content negotiation', () => {
  it("gives pip's preferred JSON when pip asks for it", () => {
    expect(negotiateFormat('application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01')).toBe(
      'application/vnd.pypi.simple.v1+json',
    );
  });

  it('answers HTML to browsers, curl and clients that send nothing', () => {
    expect(negotiateFormat(undefined)).toBe('text/html');
    expect(negotiateFormat('*/*')).toBe('text/html');
    expect(negotiateFormat('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe('text/html');
    expect(negotiateFormat('application/pdf')).toBe('text/html');
  });

  it('follows q values, the latest aliases and the format query parameter', () => {
    expect(negotiateFormat('application/vnd.pypi.simple.v1+json;q=0.2, application/vnd.pypi.simple.v1+html')).toBe(
      'application/vnd.pypi.simple.v1+html',
    );
    expect(negotiateFormat('application/vnd.pypi.simple.latest+json')).toBe('application/vnd.pypi.simple.v1+json');
    expect(negotiateFormat('application/vnd.pypi.simple.v1+json;q=0, text/html')).toBe('text/html');
    expect(negotiateFormat('text/html', 'application/vnd.pypi.simple.v1+json')).toBe('application/vnd.pypi.simple.v1+json');
  });
});
