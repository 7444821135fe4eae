import { noFindings, type Release } from '../domain/release.js';

/** What recordSeen wrote for a new release, with the meta as the JSON text it stored. */
export type WrittenRelease = Pick<Release, 'id' | 'ecosystem' | 'name' | 'version' | 'publishedAt' | 'firstSeenAt' | 'clockFloorAt' | 'analysis'> & { meta: string };

/**
 * A release recordSeen just inserted, as the store would read it back, built from what it wrote
 * rather than read: at first sight that is hundreds of rows. No findings, analysis result or
 * decision yet; an invalid publish time is stored as none. Dates are shared, not copied, and so is
 * each distinct meta, parsed once into `metas` for all of a package's new releases.
 *
 * The properties are spelled out in the order the stores' row readers give them, so a release
 * built here and one read back share one shape: the code that reads releases (status, policy,
 * rendering) then sees one kind of object, not two.
 */
export function recordedRelease(written: WrittenRelease, metas: Map<string, Record<string, unknown>>): Release {
  let meta = metas.get(written.meta);
  if (!meta) metas.set(written.meta, (meta = JSON.parse(written.meta) as Record<string, unknown>));
  const { publishedAt } = written;
  return {
    id: written.id,
    ecosystem: written.ecosystem,
    name: written.name,
    version: written.version,
    publishedAt: publishedAt && !Number.isNaN(publishedAt.getTime()) ? publishedAt : null,
    firstSeenAt: written.firstSeenAt,
    clockFloorAt: written.clockFloorAt,
    analysis: written.analysis,
    findings: noFindings,
    analyzedAt: null,
    baselineVersion: null,
    decision: null,
    withdrawnAt: null,
    meta,
  };
}

/**
 * The stored JSON text of each observed meta, computed once per meta object: the versions of a
 * package that share one meta object (most of them) share its text, so a first sight of hundreds
 * of releases stringifies a handful, and `recordedRelease` parses each text once.
 */
export function metaTexts(): (meta: Record<string, unknown> | undefined) => string {
  const texts = new Map<object, string>();
  return (meta) => {
    if (!meta) return '{}';
    let text = texts.get(meta);
    if (text === undefined) texts.set(meta, (text = JSON.stringify(meta)));
    return text;
  };
}
