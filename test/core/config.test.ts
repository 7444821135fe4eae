import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('starts on the embedded defaults with no settings at all', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.npmUpstream.href).toBe('https://registry.npmjs.org/');
    expect(config.pypiUpstream.href).toBe('https://pypi.org/');
    expect(config.pypiFileHosts).toEqual(['files.pythonhosted.org']);
    expect(config.publicUrl.href).toBe('http://127.0.0.1:8080/');
    expect(config.storageDir).toMatch(/\/storage$/);
    expect(config.policyFile).toMatch(/\/policies\/default\.yaml$/);
  });

  it('lets files come only from the index host for a non-PyPI upstream, unless told otherwise', () => {
    expect(loadConfig({ AIRLOCK_PYPI_UPSTREAM: 'http://mirror.internal:3141/root/pypi' }).pypiFileHosts).toEqual(['mirror.internal:3141']);
    expect(loadConfig({ AIRLOCK_PYPI_FILE_HOSTS: 'a.example, B.example:8443' }).pypiFileHosts).toEqual(['a.example', 'b.example:8443']);
  });

  it('lists every bad setting in one message', () => {
    expect(() =>
      loadConfig({
        AIRLOCK_PORT: 'eighty',
        AIRLOCK_NPM_UPSTREAM: 'ftp://registry',
        AIRLOCK_INDEX_TTL: 'soon',
        AIRLOCK_REQUIRE_TOKEN: 'perhaps',
        AIRLOCK_ADMIN_TOKEN: 'short',
      }),
    ).toThrowError(
      /AIRLOCK_PORT must be an integer from 0 to 65535, got "eighty"[\s\S]*AIRLOCK_NPM_UPSTREAM must be an http\(s\) URL[\s\S]*AIRLOCK_INDEX_TTL must be a duration[\s\S]*AIRLOCK_REQUIRE_TOKEN must be true or false[\s\S]*AIRLOCK_ADMIN_TOKEN must be at least 16 characters/,
    );
  });

  it('refuses upstream URLs that carry credentials', () => {
    expect(() => loadConfig({ AIRLOCK_NPM_UPSTREAM: 'https://user:secret@registry.example/' })).toThrowError(/must not carry credentials/);
  });
});
