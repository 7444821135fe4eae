import type { ArtifactFile, ArtifactView } from './artifact-view.js';
import type { Capability, CapabilityKind } from './file-profile.js';
import type { ArtifactPair } from './pair-artifacts.js';

export interface NewCapability {
  file: ArtifactFile;
  capability: Capability;
  /** The baseline had a capability of this kind somewhere (outside tests). */
  baselineHasKind: boolean;
}

export interface NewCapabilityOptions {
  /** `kind`: a file that already had any capability of this kind gains nothing new; `key`: compare exact keys. */
  compare: 'kind' | 'key';
  /**
   * A brand-new file does not count as gaining the capability when the baseline already had
   * it elsewhere (a network library adding a module that uses the network).
   */
  lenientForNewFiles: boolean;
  /** Also report capabilities in tests, examples and docs. */
  includeTests: boolean;
}

interface BaselineIndex {
  bySha: Map<string, ArtifactFile[]>;
  byMoveKey: Map<string, ArtifactFile[]>;
  kinds: Set<CapabilityKind>;
}

const indexes = new WeakMap<ArtifactView, WeakMap<ArtifactView, BaselineIndex>>();

/**
 * Capabilities of `kind` in the candidate that the baseline did not have in the same file, in
 * an identical file elsewhere, or in the file this one moved from (a removed file of the same
 * directory and name once hashes and versions are ignored, e.g. rebuilt bundle chunks).
 */
export function newCapabilities(pair: ArtifactPair, kind: CapabilityKind, options: NewCapabilityOptions): NewCapability[] {
  const out: NewCapability[] = [];
  const { candidate, baseline } = pair;
  const index = baseline ? baselineIndex(candidate, baseline) : null;
  for (const file of candidate.files.values()) {
    if (!file.profile || (file.test && !options.includeTests)) continue;
    const caps = file.profile.capabilities.filter((c) => c.kind === kind);
    if (caps.length === 0) continue;
    if (!baseline || !index) {
      for (const capability of caps) out.push({ file, capability, baselineHasKind: false });
      continue;
    }
    const origins = originsOf(file, baseline, index);
    // A file matched only by its path shape (a rebuilt chunk under a new hash) is as good as new:
    // which chunk code lands in is the bundler's choice.
    const sameContent = file.sha256 !== null && (index.bySha.get(file.sha256)?.length ?? 0) > 0;
    const isNewFile = !baseline.files.has(file.path) && !sameContent;
    const baselineHasKind = index.kinds.has(kind);
    for (const capability of caps) {
      const had = origins.some((o) =>
        o.profile?.capabilities.some((c) => c.kind === kind && (options.compare === 'kind' || c.key === capability.key)),
      );
      if (had) continue;
      if (options.lenientForNewFiles && isNewFile && baselineHasKind) continue;
      out.push({ file, capability, baselineHasKind });
    }
  }
  return out;
}

function originsOf(file: ArtifactFile, baseline: ArtifactView, index: BaselineIndex): ArtifactFile[] {
  const origins: ArtifactFile[] = [];
  const same = baseline.files.get(file.path) ?? baseline.files.get(file.path.replace(/^src\//, '')) ?? baseline.files.get(`src/${file.path}`);
  if (same) origins.push(same);
  if (file.sha256) origins.push(...(index.bySha.get(file.sha256) ?? []));
  if (!same) origins.push(...(index.byMoveKey.get(moveKey(file.path)) ?? []));
  return origins;
}

function baselineIndex(candidate: ArtifactView, baseline: ArtifactView): BaselineIndex {
  let perCandidate = indexes.get(baseline);
  if (!perCandidate) indexes.set(baseline, (perCandidate = new WeakMap()));
  const cached = perCandidate.get(candidate);
  if (cached) return cached;
  const index: BaselineIndex = { bySha: new Map(), byMoveKey: new Map(), kinds: new Set() };
  for (const file of baseline.files.values()) {
    if (!file.profile) continue;
    if (file.sha256) push(index.bySha, file.sha256, file);
    if (!candidate.files.has(file.path)) push(index.byMoveKey, moveKey(file.path), file);
    if (!file.test) for (const c of file.profile.capabilities) index.kinds.add(c.kind);
  }
  perCandidate.set(candidate, index);
  return index;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * A path with content hashes and version numbers blanked, so `dist/chunk-3f9a1c2d.js` and
 * `dist/chunk-77b0e4aa.js`, or `vendor/lib-1.2.3/x.js` and `vendor/lib-1.2.4/x.js`, match.
 */
export function moveKey(path: string): string {
  return path
    .replace(/\d+(?:\.\d+)+/g, '#')
    .replace(/(?<=[.\-_/])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{6,}(?=[.\-_/])/g, '*')
    // Vite/Rollup hashes without a digit (`editor-ECyZhXSU.js`): eight characters of mixed case.
    .replace(/(?<=[-_.])(?=[A-Za-z0-9_-]{0,7}[A-Z])(?=[A-Za-z0-9_-]{0,7}[a-z])[A-Za-z0-9_-]{8}(?=\.)/g, '*');
}
