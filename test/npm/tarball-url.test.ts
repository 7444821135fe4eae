import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PublicTarballUrls, publicTarballUrl } from '../../src/ecosystems/npm/tarball-url.js';

const publicUrl = new URL('https://airlock.example.com/');

describe('public tarball URLs', () => {
  it('spell the registry shape, scoped names keeping their slash and the file name encoded', () => {
    expect(publicTarballUrl(publicUrl, 'demo-lib', '1.1.0')).toBe('https://airlock.example.com/npm/demo-lib/-/demo-lib-1.1.0.tgz');
    expect(publicTarballUrl(publicUrl, '@acme/widget', '2.0.0-rc.1+build.5')).toBe('https://airlock.example.com/npm/@acme/widget/-/widget-2.0.0-rc.1%2Bbuild.5.tgz');
  });

  it('written in parts as JSON, read back as the whole URL, for any version text', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('demo-lib', '@acme/widget', 'a.b_c~d'), (version, name) => {
        const urls = new PublicTarballUrls(new URL('https://airlock.example.com/mirror/"quoted"/'), name);
        const json = `${urls.jsonPrefix}${urls.jsonRest(version)}.tgz"`;
        expect(JSON.parse(json)).toBe(urls.url(version));
        expect(urls.url(version)).toBe(`${urls.prefix}${encodeURIComponent(version)}.tgz`);
      }),
    );
  });
});
