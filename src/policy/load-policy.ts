import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../duration.js';
import {
  defaultPolicySettings,
  type Policy,
  type PolicyRule,
  type PolicySettings,
  type WebhookTarget,
} from './policy.js';
import { severities, type Severity } from '../domain/severity.js';
import { parsePattern } from './pattern.js';

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`policy ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyError';
  }
}

/** Reads and validates a policy file (YAML). Every problem is reported at once. */
export async function loadPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parsePolicy(text, file);
}

/** Parses policy YAML text; `file` only names the source in error messages. */
export function parsePolicy(text: string, file = '<policy>'): Policy {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new PolicyError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  if (!isObject(doc)) throw new PolicyError(file, ['the top level must be a mapping']);

  const known = new Set(['cooldown', 'reviewThreshold', 'analysisHorizon', 'mediumHold', 'ecosystems', 'packages', 'block', 'internal', 'webhooks']);
  for (const key of Object.keys(doc)) if (!known.has(key)) problems.push(`unknown key "${key}" (known: ${[...known].join(', ')})`);

  const defaults = { ...defaultPolicySettings, ...readSettings(doc, 'top level', problems) };

  const ecosystems: Policy['ecosystems'] = {};
  if (doc.ecosystems !== undefined) {
    if (!isObject(doc.ecosystems)) problems.push('"ecosystems" must be a mapping of npm/pypi to settings');
    else
      for (const [eco, value] of Object.entries(doc.ecosystems)) {
        if (eco !== 'npm' && eco !== 'pypi') problems.push(`ecosystems: unknown ecosystem "${eco}" (npm or pypi)`);
        else if (!isObject(value)) problems.push(`ecosystems.${eco} must be a mapping`);
        else ecosystems[eco] = readSettings(value, `ecosystems.${eco}`, problems);
      }
  }

  const rules: PolicyRule[] = [];
  if (doc.packages !== undefined) {
    if (!isObject(doc.packages)) problems.push('"packages" must be a mapping of patterns to settings');
    else
      for (const [pattern, value] of Object.entries(doc.packages)) {
        const patternProblem = checkPattern(pattern);
        if (patternProblem) problems.push(`packages["${pattern}"]: ${patternProblem}`);
        else if (!isObject(value)) problems.push(`packages["${pattern}"] must be a mapping`);
        else rules.push({ pattern, ...readSettings(value, `packages["${pattern}"]`, problems) });
      }
  }

  const block = readPatternList(doc.block, 'block', problems);
  const internal = readPatternList(doc.internal, 'internal', problems);
  const webhooks = readWebhooks(doc.webhooks, problems);

  if (problems.length > 0) throw new PolicyError(file, problems);
  return { defaults, ecosystems, rules, block, internal, webhooks };
}

function readSettings(obj: Record<string, unknown>, where: string, problems: string[]): PolicySettings {
  const out: PolicySettings = {};
  const durations = [
    ['cooldown', 'cooldownMs'],
    ['analysisHorizon', 'analysisHorizonMs'],
    ['mediumHold', 'mediumHoldMs'],
  ] as const;
  for (const [key, field] of durations) {
    if (obj[key] === undefined) continue;
    const ms = parseDuration(obj[key]);
    if (ms === undefined) problems.push(`${where}: ${key} must be a duration like 72h, 30d or 0, got ${JSON.stringify(obj[key])}`);
    else out[field] = ms;
  }
  if (obj.reviewThreshold !== undefined) {
    if (!severities.includes(obj.reviewThreshold as Severity))
      problems.push(`${where}: reviewThreshold must be one of ${severities.join(', ')}, got ${JSON.stringify(obj.reviewThreshold)}`);
    else out.reviewThreshold = obj.reviewThreshold as Severity;
  }
  if (where !== 'top level') {
    const allowed = new Set(['cooldown', 'analysisHorizon', 'mediumHold', 'reviewThreshold']);
    for (const key of Object.keys(obj)) if (!allowed.has(key)) problems.push(`${where}: unknown setting "${key}"`);
  }
  return out;
}

function readPatternList(value: unknown, key: string, problems: string[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push(`"${key}" must be a list of patterns such as npm:@acme/* or pypi:litellm`);
    return [];
  }
  const out: string[] = [];
  for (const item of value) {
    const problem = typeof item === 'string' ? checkPattern(item) : 'must be a string';
    if (problem) problems.push(`${key}: ${JSON.stringify(item)} ${problem}`);
    else out.push(item as string);
  }
  return out;
}

function readWebhooks(value: unknown, problems: string[]): WebhookTarget[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push('"webhooks" must be a list of { url, secret, events }');
    return [];
  }
  const out: WebhookTarget[] = [];
  value.forEach((item, i) => {
    if (!isObject(item) || typeof item.url !== 'string') {
      problems.push(`webhooks[${i}] needs a "url"`);
      return;
    }
    let url: URL;
    try {
      url = new URL(item.url);
    } catch {
      problems.push(`webhooks[${i}].url is not a URL: ${item.url}`);
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`webhooks[${i}].url must be http or https`);
    if (item.secret !== undefined && typeof item.secret !== 'string') problems.push(`webhooks[${i}].secret must be a string`);
    if (item.events !== undefined && !(Array.isArray(item.events) && item.events.every((e) => typeof e === 'string')))
      problems.push(`webhooks[${i}].events must be a list of event names`);
    out.push({ url: item.url, secret: item.secret as string | undefined, events: item.events as string[] | undefined });
  });
  return out;
}

function checkPattern(pattern: string): string | null {
  try {
    parsePattern(pattern);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
