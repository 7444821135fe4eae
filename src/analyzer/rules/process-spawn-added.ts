import { capabilityRule } from '../capability-rule.js';
import type { Rule } from '../rule.js';

/** child_process / subprocess / os.system in a file that ran no processes. */
const newSpawns = capabilityRule({
  id: 'process-spawn-added',
  description: 'Code starts to run other processes (child_process, subprocess, os.system, os.popen, exec*).',
  severity: 'high',
  kind: 'spawn',
  compare: 'kind',
  lenientForNewFiles: true,
  onFirstRelease: false,
  message: ({ file, capability }) => `${file.path} starts to run processes (${capability.detail})`,
});

/**
 * Detached or background starts, runs from a temp directory and download→chmod→run, compared
 * by their own key: a file that already shelled out still gains a second stage this way.
 */
const detachedSpawns = capabilityRule({
  id: 'process-spawn-added',
  description: newSpawns.description,
  severity: 'high',
  kind: 'detached-spawn',
  compare: 'key',
  onFirstRelease: ({ capability }) => capability.key === 'download-exec' || capability.key === 'temp-exec',
  message: ({ file, capability }) => `${file.path} ${capability.detail}, a way to start a second stage that outlives the install`,
});

export const processSpawnAdded: Rule = {
  id: newSpawns.id,
  description: 'Code starts to run other processes (child_process, subprocess, os.system, exec*), or starts them detached, from a temp directory, or after downloading and marking a file executable.',
  severity: 'high',
  ecosystems: ['npm', 'pypi'],
  check: (ctx) => [...newSpawns.check(ctx), ...detachedSpawns.check(ctx)],
};
