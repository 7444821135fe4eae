import type { Ecosystem } from '../domain/ecosystem.js';
import type { Severity } from '../domain/severity.js';

/** Settings that can be given globally, per ecosystem, or per package/scope/release rule. */
export interface PolicySettings {
  /** How long a new release is held, from its upstream publish time. */
  cooldownMs?: number;
  /** Findings at or above this severity send a release to `awaiting-review`. */
  reviewThreshold?: Severity;
  /** Releases younger than this when first seen are analyzed; older ones are trusted by age. */
  analysisHorizonMs?: number;
  /** Extra hold added to the cooldown when the analyzer reports `medium` findings. */
  mediumHoldMs?: number;
}

export interface PolicyRule extends PolicySettings {
  /** `npm:@acme/*`, `pypi:litellm`, `npm:left-pad@1.3.0`, `npm:*`. */
  pattern: string;
}

export interface WebhookTarget {
  url: string;
  /** Shared secret for the `X-Airlock-Signature` HMAC-SHA256 header. */
  secret?: string;
  /** Which events to send; all when omitted. */
  events?: string[];
}

export interface Policy {
  defaults: Required<PolicySettings>;
  ecosystems: Partial<Record<Ecosystem, PolicySettings>>;
  rules: PolicyRule[];
  /** Patterns never served (each answers as rejected by policy). */
  block: string[];
  /** Internal names that must never come from upstream (dependency-confusion guard). */
  internal: string[];
  webhooks: WebhookTarget[];
}

/** The policy that applies to one package (or release), and where each setting came from. */
export interface EffectivePolicy {
  cooldownMs: number;
  reviewThreshold: Severity;
  analysisHorizonMs: number;
  mediumHoldMs: number;
  /** For each setting, the policy entry that produced it: `default`, `ecosystems.npm`, `packages["npm:@acme/*"]`. */
  sources: Record<keyof PolicySettings, string>;
  /** Set when a `block` entry matches. */
  blockedBy: string | null;
  /** Set when an `internal` entry matches. */
  internalBy: string | null;
}

export const defaultPolicySettings: Required<PolicySettings> = {
  cooldownMs: 72 * 3_600_000,
  reviewThreshold: 'high',
  analysisHorizonMs: 30 * 86_400_000,
  mediumHoldMs: 0,
};
