import type { Ecosystem } from '../domain/ecosystem.js';
import { noFindings, type AnalysisState, type Release } from '../domain/release.js';
import type { ObservedRelease } from './release-store.js';

/**
 * A release recordSeen is about to insert, as the store will read it back, built from what it
 * writes rather than read: at first sight that is hundreds of rows. Its `id` is 0 until the row is
 * inserted (the store sets it then). The same object is what the first state is decided on, so a
 * release is judged on exactly what is stored: an invalid publish time is stored, and judged, as
 * none. No findings, analysis result or decision yet; dates are shared, not copied.
 *
 * The properties are spelled out in the order the stores' row readers give them, so a release
 * built here and one read back share one shape: the code that reads releases (status, policy,
 * rendering) then sees one kind of object, not two.
 */
export function newRelease(
  ecosystem: Ecosystem,
  name: string,
  observed: ObservedRelease,
  firstSeenAt: Date,
  clockFloorAt: Date | null,
  analysis: AnalysisState,
  meta: Record<string, unknown>,
): Release {
  const { publishedAt } = observed;
  return {
    id: 0,
    ecosystem,
    name,
    version: observed.version,
    publishedAt: publishedAt && !Number.isNaN(publishedAt.getTime()) ? publishedAt : null,
    firstSeenAt,
    clockFloorAt,
    analysis,
    findings: noFindings,
    analyzedAt: null,
    baselineVersion: null,
    decision: null,
    withdrawnAt: null,
    meta,
  };
}

/** An observed meta as a store writes it (JSON text) and as its new releases carry it (parsed from that text). */
export interface WrittenMeta {
  text: string;
  object: Record<string, unknown>;
}

/**
 * Each observed meta's stored text and its parsed copy, computed once per meta object: the
 * versions of a package that share one meta object (most of them) share both, so a first sight of
 * hundreds of releases stringifies and parses a handful. The copy is parsed from the text, so a
 * new release carries what a read of its row would give, not the caller's object.
 */
export function writtenMetas(): (meta: Record<string, unknown> | undefined) => WrittenMeta {
  const written = new Map<object | undefined, WrittenMeta>();
  return (meta) => {
    let w = written.get(meta);
    if (!w) {
      const text = meta ? JSON.stringify(meta) : '{}';
      written.set(meta, (w = { text, object: JSON.parse(text) as Record<string, unknown> }));
    }
    return w;
  };
}
