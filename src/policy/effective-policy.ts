import type { Ecosystem } from '../domain/ecosystem.js';
import { parsePattern, patternMatches, type Pattern } from './pattern.js';
import type { EffectivePolicy, Policy, PolicySettings } from './policy.js';

const settingKeys = ['cooldownMs', 'reviewThreshold', 'analysisHorizonMs', 'mediumHoldMs'] as const satisfies readonly (keyof PolicySettings)[];

/** A policy's patterns, parsed once per policy object (a reload makes a new object). */
interface ParsedPolicy {
  rules: { rule: Policy['rules'][number]; pattern: Pattern }[];
  block: { text: string; pattern: Pattern }[];
  internal: { text: string; pattern: Pattern }[];
}

const parsed = new WeakMap<Policy, ParsedPolicy>();

function parsedPolicy(policy: Policy): ParsedPolicy {
  let p = parsed.get(policy);
  if (!p) {
    p = {
      rules: policy.rules.map((rule) => ({ rule, pattern: parsePattern(rule.pattern) })).sort((a, b) => a.pattern.specificity - b.pattern.specificity),
      block: policy.block.map((text) => ({ text, pattern: parsePattern(text) })),
      internal: policy.internal.map((text) => ({ text, pattern: parsePattern(text) })),
    };
    parsed.set(policy, p);
  }
  return p;
}

/**
 * The policy for one package, or one release when `version` is given: defaults, then the
 * ecosystem's settings, then matching `packages` rules from least to most specific, so the most
 * specific rule wins each setting. Records which entry produced each setting.
 */
export function effectivePolicy(policy: Policy, ecosystem: Ecosystem, name: string, version?: string): EffectivePolicy {
  const result: EffectivePolicy = {
    ...policy.defaults,
    sources: { cooldownMs: 'default', reviewThreshold: 'default', analysisHorizonMs: 'default', mediumHoldMs: 'default' },
    blockedBy: null,
    internalBy: null,
  };
  const apply = (settings: PolicySettings, source: string) => {
    for (const key of settingKeys) {
      if (settings[key] === undefined) continue;
      (result as unknown as Record<string, unknown>)[key] = settings[key];
      result.sources[key] = source;
    }
  };
  const eco = policy.ecosystems[ecosystem];
  if (eco) apply(eco, `ecosystems.${ecosystem}`);

  const p = parsedPolicy(policy);
  for (const { rule, pattern } of p.rules) if (patternMatches(pattern, ecosystem, name, version)) apply(rule, `packages["${rule.pattern}"]`);
  result.blockedBy = p.block.find(({ pattern }) => patternMatches(pattern, ecosystem, name, version))?.text ?? null;
  result.internalBy = p.internal.find(({ pattern }) => patternMatches(pattern, ecosystem, name, version))?.text ?? null;
  return result;
}

/**
 * The policy's release patterns (`npm:left-pad@1.3.0`) naming this package, as written. When there
 * are none, every release of the package has the package's effective policy, so it can be
 * resolved once per package instead of once per release.
 */
export function releasePatternsFor(policy: Policy, ecosystem: Ecosystem, name: string): string[] {
  const p = parsedPolicy(policy);
  const all = [...p.rules.map(({ rule, pattern }) => ({ text: JSON.stringify(rule), pattern })), ...p.block, ...p.internal];
  return all.filter(({ pattern }) => pattern.version !== null && patternMatches(pattern, ecosystem, name, pattern.version)).map(({ text }) => text);
}
