import type { CapabilityKind } from './file-profile.js';
import { newCapabilities, type NewCapability, type NewCapabilityOptions } from './new-capabilities.js';
import { findingOf, type Rule } from './rule.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import type { Finding } from '../domain/finding.js';
import type { Severity } from '../domain/severity.js';

export interface CapabilityRuleSpec extends Partial<NewCapabilityOptions> {
  id: string;
  description: string;
  severity: Severity;
  ecosystems?: readonly Ecosystem[];
  kind: CapabilityKind;
  /** Whether a first release is checked at all (only for capabilities suspicious on their own). */
  onFirstRelease: boolean | ((found: NewCapability) => boolean);
  /** One sentence naming the file. */
  message: (found: NewCapability) => string;
  severityOf?: (found: NewCapability) => Severity;
}

/**
 * A rule reporting each capability of one kind that is new in the candidate, per file, with
 * the line and evidence the scanner recorded. Findings from several artifacts (an sdist and
 * its wheels) that name the same file and capability are reported once.
 */
export function capabilityRule(spec: CapabilityRuleSpec): Rule {
  const options: NewCapabilityOptions = {
    compare: spec.compare ?? 'key',
    lenientForNewFiles: spec.lenientForNewFiles ?? false,
    includeTests: spec.includeTests ?? false,
  };
  const rule: Rule = {
    id: spec.id,
    description: spec.description,
    severity: spec.severity,
    ecosystems: spec.ecosystems ?? ['npm', 'pypi'],
    check(ctx) {
      if (ctx.firstRelease && spec.onFirstRelease === false) return [];
      const out: Finding[] = [];
      const seen = new Set<string>();
      for (const pair of ctx.pairs) {
        for (const found of newCapabilities(pair, spec.kind, options)) {
          if (ctx.firstRelease && typeof spec.onFirstRelease === 'function' && !spec.onFirstRelease(found)) continue;
          const id = `${found.file.path}\0${found.capability.key}`;
          if (seen.has(id)) continue;
          seen.add(id);
          const tolerant = found.file.profile?.tolerant ? ' (found by a tolerant scan: the file does not parse cleanly)' : '';
          out.push(
            findingOf(rule, {
              path: found.file.path,
              line: found.capability.line,
              message: spec.message(found).replace(/\.$/, '') + tolerant + '.',
              evidence: found.capability.evidence,
              ...(spec.severityOf ? { severity: spec.severityOf(found) } : {}),
            }),
          );
        }
      }
      return out;
    },
  };
  return rule;
}
