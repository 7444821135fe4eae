import type { ArtifactView } from '../analyzer/artifact-view.js';
import { npmManifest } from '../analyzer/npm-manifest.js';
import { pairArtifacts } from '../analyzer/pair-artifacts.js';
import { entryPoints, pythonDependencies } from '../analyzer/python-metadata.js';
import type { Ecosystem } from '../domain/ecosystem.js';

/** Entries listed per group; a release touching more says how many were left out. */
const maxListed = 200;

export interface FileChange {
  path: string;
  /** Bytes in the baseline; null for an added file. */
  before: number | null;
  /** Bytes in the candidate; null for a removed file. */
  after: number | null;
}

export interface ArtifactDiff {
  candidate: string;
  baseline: string | null;
  added: FileChange[];
  removed: FileChange[];
  changed: FileChange[];
  /** How many of each were not listed (past `maxListed`). */
  more: { added: number; removed: number; changed: number };
  unchanged: number;
  bytes: { before: number; after: number };
}

export interface DiffSummary {
  baselineVersion: string | null;
  artifacts: ArtifactDiff[];
  dependencies: {
    added: Array<{ name: string; spec: string }>;
    removed: Array<{ name: string; spec: string }>;
    changed: Array<{ name: string; before: string; after: string }>;
  };
  /** npm: package.json scripts; PyPI: entry points (`group:name`). Only those that differ. */
  scripts: Array<{ name: string; before: string | null; after: string | null }>;
  /** What could not be read, so an empty list is not mistaken for "no change". */
  problems: string[];
}

/**
 * The shape of a change before its detail: files added, removed and changed (by content hash,
 * or size for files too large to hash) per artifact pair, dependencies and scripts before and
 * after. Artifacts are paired the way the analyzer pairs them.
 */
export function diffSummary(ecosystem: Ecosystem, candidates: ArtifactView[], baselines: ArtifactView[] | null, baselineVersion: string | null): DiffSummary {
  const problems: string[] = [];
  for (const v of [...candidates, ...(baselines ?? [])]) for (const p of v.problems) problems.push(`${v.filename}: ${p.message}`);
  const artifacts = pairArtifacts(candidates, baselines).map(({ candidate, baseline }) => artifactDiff(candidate, baseline));
  const before = manifestFacts(ecosystem, baselines ?? [], problems);
  const after = manifestFacts(ecosystem, candidates, problems);
  const dependencies: DiffSummary['dependencies'] = { added: [], removed: [], changed: [] };
  for (const [name, spec] of after.dependencies) {
    const was = before.dependencies.get(name);
    if (was === undefined) dependencies.added.push({ name, spec });
    else if (was !== spec) dependencies.changed.push({ name, before: was, after: spec });
  }
  for (const [name, spec] of before.dependencies) if (!after.dependencies.has(name)) dependencies.removed.push({ name, spec });
  const scripts: DiffSummary['scripts'] = [];
  for (const name of new Set([...before.scripts.keys(), ...after.scripts.keys()])) {
    const b = before.scripts.get(name) ?? null;
    const a = after.scripts.get(name) ?? null;
    if (a !== b) scripts.push({ name, before: b, after: a });
  }
  scripts.sort((x, y) => x.name.localeCompare(y.name));
  return { baselineVersion, artifacts, dependencies, scripts, problems };
}

function artifactDiff(candidate: ArtifactView, baseline: ArtifactView | null): ArtifactDiff {
  const added: FileChange[] = [];
  const removed: FileChange[] = [];
  const changed: FileChange[] = [];
  let unchanged = 0;
  let before = 0;
  let after = 0;
  const old = baseline?.files ?? new Map<string, never>();
  for (const file of candidate.files.values()) {
    after += file.size;
    const was = old.get(file.path);
    if (!was) added.push({ path: file.path, before: null, after: file.size });
    else if (was.size !== file.size || (was.sha256 !== null && file.sha256 !== null && was.sha256 !== file.sha256))
      changed.push({ path: file.path, before: was.size, after: file.size });
    else unchanged++;
  }
  for (const file of old.values()) {
    before += file.size;
    if (!candidate.files.has(file.path)) removed.push({ path: file.path, before: file.size, after: null });
  }
  const list = (xs: FileChange[]) => xs.sort((a, b) => a.path.localeCompare(b.path)).slice(0, maxListed);
  return {
    candidate: candidate.filename,
    baseline: baseline?.filename ?? null,
    added: list(added),
    removed: list(removed),
    changed: list(changed),
    more: { added: Math.max(0, added.length - maxListed), removed: Math.max(0, removed.length - maxListed), changed: Math.max(0, changed.length - maxListed) },
    unchanged,
    bytes: { before, after },
  };
}

/** Dependencies (name → spec) and scripts (name → command) declared by a release's artifacts. */
function manifestFacts(ecosystem: Ecosystem, views: ArtifactView[], problems: string[]) {
  const dependencies = new Map<string, string>();
  const scripts = new Map<string, string>();
  for (const view of views) {
    try {
      if (ecosystem === 'npm') {
        const manifest = npmManifest(view);
        if (!manifest) continue;
        for (const d of manifest.dependencies) dependencies.set(d.field === 'dependencies' ? d.name : `${d.name} (${d.field})`, d.spec);
        for (const [name, command] of Object.entries(manifest.scripts)) scripts.set(name, command);
      } else {
        for (const d of pythonDependencies(view)) if (!dependencies.has(d.name)) dependencies.set(d.name, d.spec);
        for (const e of entryPoints(view)) scripts.set(`${e.group}:${e.name}`, e.value);
      }
    } catch (err) {
      problems.push(`${view.filename}: its metadata could not be read (${(err as Error).message})`);
    }
  }
  return { dependencies, scripts };
}
