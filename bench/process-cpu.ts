import { readFileSync } from 'node:fs';

/** CPU time (user + system) a process has used so far, in ms (from /proc, in 1/100 s ticks). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Waits (at most `limitMs`) until every process uses less than 5% of a core over half a second:
 * a server still finishing the last run's work (background analyses, requests the load generator
 * gave up on) would otherwise take CPU from the next run. Says how long it waited and whether
 * they did idle.
 */
export async function waitUntilIdle(pids: number[], limitMs = 120_000): Promise<{ waitedMs: number; idle: boolean }> {
  const started = Date.now();
  let before = pids.map(processCpuMs);
  while (Date.now() - started < limitMs) {
    await new Promise((r) => setTimeout(r, 500));
    const now = pids.map(processCpuMs);
    if (now.every((ms, i) => ms - before[i]! <= 25)) return { waitedMs: Date.now() - started, idle: true };
    before = now;
  }
  return { waitedMs: Date.now() - started, idle: false };
}
