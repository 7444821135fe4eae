import type { Ecosystem } from '../domain/ecosystem.js';
import type { ReleaseState, StateCount } from '../domain/release-state.js';
import type { ReleaseQuery } from './release-store.js';

/**
 * A count the per-state counts answer (`release_state_counts`, kept with every change): releases
 * in some states, of one ecosystem or all, with no other filter. Null for any other query, which
 * is counted over the rows.
 */
export function stateCountQuery(query: ReleaseQuery): { states: ReleaseState[]; ecosystem?: Ecosystem } | null {
  if (!query.states || query.name !== undefined || query.analysis !== undefined || query.undecided || query.search) return null;
  return { states: query.states, ecosystem: query.ecosystem };
}

export function sumStateCounts(counts: StateCount[], query: { states: ReleaseState[]; ecosystem?: Ecosystem }): number {
  const states = new Set(query.states);
  let n = 0;
  for (const c of counts) if (states.has(c.state) && (query.ecosystem === undefined || c.ecosystem === query.ecosystem)) n += c.count;
  return n;
}
