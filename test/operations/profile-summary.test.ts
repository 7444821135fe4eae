import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = path.resolve('bench/profile-summary.ts');
const summary = (...args: string[]) => run(process.execPath, ['--import', 'tsx', script, ...args]);

describe('bench/profile-summary.ts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'airlock-profile-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the function a real node --cpu-prof profile spent its time in', async () => {
    const busy = 'function spinForProfile() { const end = Date.now() + 300; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); return x; } spinForProfile();';
    await run(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', busy]);
    const [profile] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    const { stdout } = await summary(path.join(dir, profile!), '50', '--inclusive', 'spinForProfile');
    const busyMs = Number(/(\d+) ms busy/.exec(stdout)?.[1]);
    expect(busyMs).toBeGreaterThanOrEqual(200);
    const inclusive = stdout.split('--- inclusive')[1]!;
    const spun = Number(/^\s*(\d+)\s+spinForProfile /m.exec(inclusive)?.[1]);
    expect(spun).toBeGreaterThanOrEqual(200);
    expect(spun).toBeLessThanOrEqual(busyMs);
  });

  it('counts a sample once per matching function, however deep the recursion', async () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '1' });
    const at = path.join(dir, 'recursive.cpuprofile');
    await writeFile(at, JSON.stringify({
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
        { id: 2, callFrame: frame('walk', 'file:///work/src/walk.ts'), children: [3] },
        { id: 3, callFrame: frame('walk', 'file:///work/src/walk.ts'), children: [4] },
        { id: 4, callFrame: frame('leaf', 'file:///work/node_modules/pkg/lib/leaf.js') },
        { id: 5, callFrame: frame('(idle)', '') },
      ],
      samples: [4, 4, 3, 5],
      timeDeltas: [1000, 2000, 4000, 8000],
      startTime: 0,
      endTime: 15000,
    }));
    const { stdout } = await summary(at, '10', '--inclusive', 'walk|leaf');
    expect(stdout).toContain('15 ms sampled, 7 ms busy, 8 ms idle');
    expect(stdout).toMatch(/^\s+3 {2}node_modules\/pkg$/m);
    const inclusive = stdout.split('--- inclusive')[1]!;
    expect(inclusive).toMatch(/^\s+7 {2}walk src\/walk\.ts$/m);
    expect(inclusive).toMatch(/^\s+3 {2}leaf node_modules\/pkg\/lib\/leaf\.js:1$/m);
  });

  it('says plainly when the file is not a CPU profile', async () => {
    const at = path.join(dir, 'not-a-profile.json');
    await writeFile(at, '{"hello": "world"}');
    await expect(summary(at)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('not a V8 CPU profile') });
    await expect(summary(path.join(dir, 'missing.cpuprofile'))).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read it as JSON') });
    await expect(summary(at, 'many')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('top must be a whole number') });
  });
});
