import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

/**
 * Artifacts that could not be read completely (hostile or corrupt archives, caps exceeded).
 * The engine also reports rules that fail under this kind. Fail closed: a reviewer decides.
 */
export const analysisError: Rule = {
  id: 'analysis-error',
  description: 'An artifact could not be read completely, or a rule failed.',
  severity: 'high',
  ecosystems: ['npm', 'pypi'],
  check(ctx) {
    const out: Finding[] = [];
    for (const view of ctx.candidate) {
      for (const p of view.problems) {
        out.push(findingOf(this, { path: p.path, message: `${view.filename} could not be fully analyzed: ${p.message}.` }));
      }
    }
    for (const view of ctx.previous) {
      for (const p of view.problems) {
        out.push(findingOf(this, { path: p.path, message: `The baseline artifact ${view.filename} could not be fully read (${p.message}), so the diff may miss changes.` }));
      }
    }
    return out;
  },
};
