import type { Ecosystem } from '../release-id.js';
import { parsePattern, patternMatches } from './pattern.js';
import type { EffectivePolicy, Policy, PolicySettings } from './policy.js';

const settingKeys = ['cooldownMs', 'reviewThreshold', 'analysisHorizonMs', 'mediumHoldMs'] as const satisfies readonly (keyof PolicySettings)[];

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

  const matching = policy.rules
    .map((rule) => ({ rule, pattern: parsePattern(rule.pattern) }))
    .filter(({ pattern }) => patternMatches(pattern, ecosystem, name, version))
    .sort((a, b) => a.pattern.specificity - b.pattern.specificity);
  for (const { rule } of matching) apply(rule, `packages["${rule.pattern}"]`);

  result.blockedBy = policy.block.find((p) => patternMatches(parsePattern(p), ecosystem, name, version)) ?? null;
  result.internalBy = policy.internal.find((p) => patternMatches(parsePattern(p), ecosystem, name, version)) ?? null;
  return result;
}
