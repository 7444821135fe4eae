import { capabilityRule } from '../capability-rule.js';

/** Decoded data (base64, hex, XOR, zlib, marshal) fed to eval/exec/spawn. */
export const decodeExec = capabilityRule({
  id: 'decode-exec',
  description: 'Data decoded at run time (base64, hex, XOR, zlib, marshal) is passed to eval, exec or a process.',
  severity: 'critical',
  kind: 'decode-exec',
  compare: 'kind',
  onFirstRelease: true,
  message: ({ file, capability }) => `${file.path} executes decoded data: ${capability.detail}`,
});
