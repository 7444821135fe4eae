import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('AIRLOCK_CACHE_MAX', () => {
  it('leaves the artifact cache unbounded when unset', () => {
    expect(loadConfig({}).cacheMaxBytes).toBeNull();
  });

  it('reads decimal and binary sizes, and a bare number as bytes', () => {
    expect(loadConfig({ AIRLOCK_CACHE_MAX: '10GB' }).cacheMaxBytes).toBe(10_000_000_000);
    expect(loadConfig({ AIRLOCK_CACHE_MAX: '500mb' }).cacheMaxBytes).toBe(500_000_000);
    expect(loadConfig({ AIRLOCK_CACHE_MAX: '2GiB' }).cacheMaxBytes).toBe(2 * 2 ** 30);
    expect(loadConfig({ AIRLOCK_CACHE_MAX: '1.5 GB' }).cacheMaxBytes).toBe(1_500_000_000);
    expect(loadConfig({ AIRLOCK_CACHE_MAX: '4096' }).cacheMaxBytes).toBe(4096);
  });

  it('refuses to start on a size it cannot read, naming the setting', () => {
    for (const value of ['10 gigs', '0', '-1GB', 'GB', '1e9'])
      expect(() => loadConfig({ AIRLOCK_CACHE_MAX: value })).toThrow(ConfigError);
    expect(() => loadConfig({ AIRLOCK_CACHE_MAX: '10 gigs' })).toThrow(/AIRLOCK_CACHE_MAX must be a size like 500MB or 10GB, got "10 gigs"/);
  });
});
