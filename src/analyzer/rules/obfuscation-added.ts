import { capabilityRule } from '../capability-rule.js';

/** Obfuscator fingerprints; minified code alone is not obfuscation. */
export const obfuscationAdded = capabilityRule({
  id: 'obfuscation-added',
  description: 'Obfuscation appears: `_0x` names, string-array rotators, names assembled from pieces, code hidden after long whitespace, encoded blobs.',
  severity: 'high',
  kind: 'obfuscation',
  compare: 'key',
  onFirstRelease: true,
  message: ({ file, capability }) => `${file.path} shows new obfuscation: ${capability.detail}`,
});
