import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandIo } from './command-io.js';
import { analyzeRelease, type AnalysisResult, type ReleaseMeta } from '../analyzer/index.js';
import type { Ecosystem } from '../domain/ecosystem.js';


const usage = 'Usage: airlock analyze [--previous FILE] --candidate FILE [--ecosystem npm|pypi] [--json] [--previous-meta FILE] [--candidate-meta FILE]';

/**
 * `airlock analyze`: diffs two artifacts offline. Exit 0 when the verdict is clean, 1 when it
 * is review, 2 on a usage or input error.
 *
 * @example
 * airlock analyze --previous left-pad-1.3.0.tgz --candidate left-pad-1.3.1.tgz --json
 */
export async function runAnalyzeCommand(argv: string[], io: CommandIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        previous: { type: 'string' },
        candidate: { type: 'string' },
        ecosystem: { type: 'string' },
        json: { type: 'boolean', default: false },
        'previous-meta': { type: 'string' },
        'candidate-meta': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values['help']) {
    io.stdout(`${usage}\n`);
    return 0;
  }
  const candidate = values['candidate'] as string | undefined;
  const previous = values['previous'] as string | undefined;
  if (!candidate) {
    io.stderr(`Missing --candidate.\n${usage}\n`);
    return 2;
  }
  for (const file of [candidate, previous]) {
    if (file === undefined) continue;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) {
      io.stderr(`Cannot read ${file}: no such file.\n`);
      return 2;
    }
  }

  const ecosystem = (values['ecosystem'] as string | undefined) ?? inferEcosystem(candidate);
  if (ecosystem !== 'npm' && ecosystem !== 'pypi') {
    io.stderr(
      values['ecosystem'] === undefined
        ? `Cannot tell the ecosystem from ${path.basename(candidate)}; pass --ecosystem npm or --ecosystem pypi.\n`
        : `Expected --ecosystem to be npm or pypi, got \`${ecosystem}\`.\n`,
    );
    return 2;
  }

  let previousMeta: ReleaseMeta | undefined;
  let candidateMeta: ReleaseMeta | undefined;
  try {
    previousMeta = await readMeta(values['previous-meta'] as string | undefined);
    candidateMeta = await readMeta(values['candidate-meta'] as string | undefined);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return 2;
  }

  const source = (file: string) => ({ filename: path.basename(file), open: () => Promise.resolve(createReadStream(file)) });
  let result: AnalysisResult;
  try {
    result = await analyzeRelease({
      ecosystem,
      ...(previous ? { previous: [source(previous)] } : {}),
      candidate: [source(candidate)],
      ...(previousMeta ? { previousMeta } : {}),
      ...(candidateMeta ? { candidateMeta } : {}),
    });
  } catch (err) {
    io.stderr(`Analysis failed: ${(err as Error).message}\n`);
    return 2;
  }

  if (values['json']) {
    const findings = result.findings.map(({ kind, severity, path: p, line, message }) => ({ kind, severity, path: p, line, message }));
    io.stdout(JSON.stringify({ verdict: result.verdict, findings }) + '\n');
  } else {
    io.stdout(formatHuman(result, path.basename(candidate), previous ? path.basename(previous) : null));
  }
  return result.verdict === 'clean' ? 0 : 1;
}

/** `.tgz` is an npm tarball; `.whl`, `.tar.gz` and `.zip` are PyPI artifacts. */
export function inferEcosystem(file: string): Ecosystem | null {
  const name = file.toLowerCase();
  if (name.endsWith('.tgz')) return 'npm';
  if (name.endsWith('.whl') || name.endsWith('.tar.gz') || name.endsWith('.zip') || name.endsWith('.tar.bz2')) return 'pypi';
  return null;
}

async function readMeta(file: string | undefined): Promise<ReleaseMeta | undefined> {
  if (file === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read release metadata from ${file}: ${(err as Error).message}.`);
  }
  if (typeof json !== 'object' || json === null) throw new Error(`Expected ${file} to hold a JSON object like {"publisher":"alice","hasProvenance":true}.`);
  const o = json as Record<string, unknown>;
  const meta: ReleaseMeta = {};
  if (typeof o['publisher'] === 'string' || o['publisher'] === null) meta.publisher = o['publisher'];
  if (typeof o['hasProvenance'] === 'boolean') meta.hasProvenance = o['hasProvenance'];
  return meta;
}

function formatHuman(result: AnalysisResult, candidate: string, previous: string | null): string {
  const lines = [`${candidate}${previous ? ` compared with ${previous}` : ' (first release)'}: ${result.verdict}`];
  if (result.findings.length === 0) lines.push('No findings.');
  for (const f of result.findings) {
    const where = f.path ? ` ${f.path}${f.line ? `:${f.line}` : ''}` : '';
    lines.push(`  ${f.severity.padEnd(8)} ${f.kind}${where}`, `           ${f.message}`);
  }
  return lines.join('\n') + '\n';
}
