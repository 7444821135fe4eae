import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRelease, createProfileCache, rules } from '../../src/analyzer/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCase, type RuleCase } from './build-artifacts.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cache = createProfileCache();
let dir: { dir: string; remove: () => Promise<void> };
let n = 0;

beforeAll(async () => {
  dir = await tempDir('airlock-analyzer-rules-');
});
afterAll(async () => {
  await dir.remove();
});

async function run(c: RuleCase) {
  const sources = await buildCase(path.join(dir.dir, String(n++)), c);
  return analyzeRelease({
    ecosystem: c.ecosystem,
    ...(sources.previous ? { previous: sources.previous } : {}),
    candidate: sources.candidate,
    ...(c.previousMeta ? { previousMeta: c.previousMeta } : {}),
    ...(c.candidateMeta ? { candidateMeta: c.candidateMeta } : {}),
    cache,
  });
}

async function load(kind: 'flagged' | 'benign', id: string): Promise<RuleCase[]> {
  const file = path.join(here, 'cases', kind, `${id}.ts`);
  if (!existsSync(file)) throw new Error(`rule ${id} has no ${kind} fixtures (expected ${path.relative(process.cwd(), file)})`);
  const { cases } = (await import(file)) as { cases: RuleCase[] };
  if (cases.length === 0) throw new Error(`rule ${id} has an empty ${kind} fixture set`);
  return cases;
}

describe.each(rules.map((r) => [r.id, r] as const))('rule %s', (id, rule) => {
  it('has a one-sentence description and a severity', () => {
    expect(rule.description).toMatch(/^[A-Z`a-z].*\.$/);
    expect(['critical', 'high', 'medium', 'low']).toContain(rule.severity);
  });

  it('flags every case in its flagged fixtures, naming a file or the release', async () => {
    for (const c of await load('flagged', id)) {
      const result = await run(c);
      const found = result.findings.filter((f) => f.kind === id);
      expect(found, `${id} should flag "${c.name}"; got ${JSON.stringify(result.findings, null, 1)}`).not.toHaveLength(0);
      for (const f of found) {
        expect(f.message).toMatch(/\.$/);
        if (f.path) expect(f.message).toContain(f.path.split('/').pop()!.split('.')[0]);
      }
    }
  });

  it('flags none of its benign fixtures', async () => {
    for (const c of await load('benign', id)) {
      const result = await run(c);
      const found = result.findings.filter((f) => f.kind === id);
      expect(found, `${id} should not flag "${c.name}"`).toEqual([]);
    }
  });
});
