import type { Ecosystem } from '../domain/ecosystem.js';
import type { ReleaseStore, ReleaseVersion } from '../store/release-store.js';

/** Packages whose order is remembered; past it the memo starts over. */
const maxPackages = 2_000;

/**
 * Each package's release versions, newest first in the ecosystem's order, sorted once and kept
 * while the package's version list is unchanged: the analyses of a package seen for the first
 * time (23 of electron-to-chromium, whose versions number in the thousands) would otherwise each
 * sort them all again. The list itself is read from the store every time (ids and versions only),
 * so a release recorded meanwhile is never missed: a list with any other row is sorted anew.
 */
export class VersionOrder {
  private readonly memo = new Map<string, { versionOf: Map<number, string>; sorted: ReleaseVersion[] }>();

  constructor(private readonly store: Pick<ReleaseStore, 'listVersions'>) {}

  async newestFirst(ecosystem: Ecosystem, name: string, order: { compareVersions(a: string, b: string): number }): Promise<ReleaseVersion[]> {
    const versions = await this.store.listVersions(ecosystem, name);
    const key = `${ecosystem}\0${name}`;
    const known = this.memo.get(key);
    // The same rows (same ids with the same versions, no more, no fewer): the same order.
    if (known && known.sorted.length === versions.length && versions.every((v) => known.versionOf.get(v.id) === v.version)) return known.sorted;
    const sorted = versions.sort((a, b) => order.compareVersions(b.version, a.version));
    if (this.memo.size >= maxPackages) this.memo.clear();
    this.memo.set(key, { versionOf: new Map(sorted.map((v) => [v.id, v.version])), sorted });
    return sorted;
  }
}
