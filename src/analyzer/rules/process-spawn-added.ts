import { capabilityRule } from '../capability-rule.js';

/** child_process / subprocess / os.system in a file that ran no processes. */
export const processSpawnAdded = capabilityRule({
  id: 'process-spawn-added',
  description: 'Code starts to run other processes (child_process, subprocess, os.system, os.popen, exec*).',
  severity: 'high',
  kind: 'spawn',
  compare: 'kind',
  lenientForNewFiles: true,
  onFirstRelease: false,
  message: ({ file, capability }) => `${file.path} starts to run processes (${capability.detail})`,
});
