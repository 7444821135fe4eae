const UNITS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;
type Unit = keyof typeof UNITS;

/**
 * Parses a duration such as `72h`, `30d`, `1h30m` or `0` into milliseconds.
 * Returns `undefined` for anything else, so callers can report every bad value at once.
 * @example parseDuration('72h') // 259200000
 */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text === 'number' && Number.isFinite(text) && text >= 0) return text;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) {
    total += Number(m[1]) * UNITS[m[2] as Unit]; // the pattern only matches these units
    matched = re.lastIndex;
  }
  return matched === trimmed.length && matched > 0 ? total : undefined;
}

/** `259200000` → `72h`; used in messages that quote a policy back to people. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  // Hours read best for typical cooldowns (24h, 72h); whole weeks and more read best in days.
  if (ms % UNITS.d === 0 && ms >= UNITS.w) return `${ms / UNITS.d}d`;
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
