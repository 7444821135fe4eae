import type { ArtifactView } from './artifact-view.js';

/** A candidate artifact and the baseline artifact it is compared with (null: nothing to compare). */
export interface ArtifactPair {
  candidate: ArtifactView;
  baseline: ArtifactView | null;
}

/**
 * Compares like with like: an npm tarball with the previous tarball; a wheel with the baseline
 * wheel of the closest tag; an sdist with the baseline sdist. When the baseline has no artifact
 * of that kind, the closest other one is used, since its files still say what the code did.
 */
export function pairArtifacts(candidates: ArtifactView[], previous: ArtifactView[] | null): ArtifactPair[] {
  return candidates.map((candidate) => {
    if (!previous || previous.length === 0) return { candidate, baseline: null };
    let best: ArtifactView | null = null;
    let bestScore = -Infinity;
    for (const b of previous) {
      const score = similarity(candidate, b);
      if (score > bestScore) {
        bestScore = score;
        best = b;
      }
    }
    return { candidate, baseline: best };
  });
}

function similarity(a: ArtifactView, b: ArtifactView): number {
  let score = a.format === b.format ? 100 : 0;
  if (a.format === 'wheel' && b.format === 'wheel') {
    const ta = wheelTags(a.filename);
    const tb = wheelTags(b.filename);
    if (ta && tb) {
      if (ta.platform === tb.platform) score += 8;
      if (family(ta.platform) === family(tb.platform)) score += 4;
      if (arch(ta.platform) === arch(tb.platform)) score += 2;
      if (ta.abi === tb.abi) score += 2;
      if (ta.python === tb.python) score += 1;
    }
  }
  // Fewer problems is a better baseline (a broken baseline artifact compares poorly).
  return score - b.problems.length;
}

export function wheelTags(filename: string): { python: string; abi: string; platform: string } | null {
  const parts = filename.replace(/\.whl$/i, '').split('-');
  if (parts.length < 5) return null;
  const [python, abi, platform] = parts.slice(-3) as [string, string, string];
  return { python, abi, platform };
}

function family(platform: string): string {
  return /^(manylinux|musllinux|linux|macosx|win|any)/.exec(platform)?.[1] ?? platform;
}

function arch(platform: string): string {
  return /(x86_64|amd64|aarch64|arm64|i686|win32|universal2|armv7l|ppc64le|s390x)/.exec(platform)?.[1] ?? 'any';
}
