import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** CPU time (user + system) a process has used so far, in ms (from /proc, in 1/100 s ticks). */
export function processCpuMs(pid: number): number {
  const fields = statFields(pid);
  if (!fields) throw new Error(`process ${pid} is gone`);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time (user + system) of a process's main thread alone, in ms: for Node, the event loop, which
 * a server saturates first (its GC helpers and thread pool run beside it on other cores).
 */
export function mainThreadCpuMs(pid: number): number {
  const fields = statFields(`${pid}/task/${pid}`);
  if (!fields) throw new Error(`process ${pid} is gone`);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU ms (user + system) of each of a process's threads so far, by thread id (threads that ended are gone from it). */
export function threadCpuMs(pid: number): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const tid of threadIds(pid)) {
    const fields = statFields(`${pid}/task/${tid}`);
    if (fields) cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * 10);
  }
  return cpu;
}

/** Each thread's name (`comm`: Node's main thread is `node`, V8's GC helpers `V8 DefaultWorke`, the thread pool `libuv-worker`), by thread id. */
export function threadNames(pid: number): Map<number, string> {
  const names = new Map<number, string>();
  for (const tid of threadIds(pid)) {
    try {
      names.set(Number(tid), readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
    } catch {
      // the thread ended while we looked
    }
  }
  return names;
}

/** A process's thread ids as /proc lists them; none once it ended. */
function threadIds(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // the process ended while we looked
  }
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

/** The fields of /proc/<pid>/stat after the command name (which may itself hold `) `); null once the process ended. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // the process ended while we looked
  }
}

/**
 * CPU ms a whole PostgreSQL cluster has used so far, found by its port: the postmaster, the
 * backends that have ended (the postmaster reaped them, so they are in its children's time) and
 * those still running. A backend per pooled connection comes and goes, so summing live backends
 * alone would lose the ones that ended during a run.
 */
export function clusterCpuMs(port: number): number {
  const ids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  const postmaster = ids.find((id) => {
    try {
      const args = readFileSync(`/proc/${id}/cmdline`, 'utf8').split('\0');
      return path.basename(args[0] ?? '') === 'postgres' && args.includes('-p') && args[args.indexOf('-p') + 1] === String(port);
    } catch {
      return false;
    }
  });
  if (!postmaster) return 0;
  const own = statFields(postmaster);
  if (!own) return 0;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const id of ids) {
    const f = statFields(id);
    if (f && f[1] === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * 10;
}
