import { describe, expect, it } from 'vitest';
import { stringSignals, type StringSignal } from '../../src/analyzer/scan/string-signals.js';

const signals = (value: string) => {
  const out: StringSignal[] = [];
  stringSignals(value, out);
  return out.map((s) => s.kind);
};

describe('stringSignals', () => {
  it('sees secret locations written as bare words, without a path separator', () => {
    expect(signals('id_rsa')).toContain('secret');
    expect(signals('TruffleHog')).toContain('secret');
    expect(signals('nkbihfbeogaeaoehlefnkodbefgpgknn')).toContain('secret');
    expect(signals('Local Extension Settings')).toContain('secret');
  });

  it('stays quiet on ordinary strings', () => {
    expect(signals('hello world')).toEqual([]);
    expect(signals('use strict')).toEqual([]);
  });
});
