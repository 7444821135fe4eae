import { capabilityRule } from '../capability-rule.js';

/** Obfuscator fingerprints; minified code alone is not obfuscation. */
export const obfuscationAdded = capabilityRule({
  id: 'obfuscation-added',
  description: 'Obfuscation appears: `_0x` names, string-array rotators, names assembled from pieces, code hidden after long whitespace, encoded blobs.',
  severity: 'high',
  kind: 'obfuscation',
  compare: 'key',
  onFirstRelease: true,
  // An encoded blob alone is what bundlers inline (workers, wasm, fonts); it matters when the file
  // also evaluates code. Decoded-and-run blobs are decode-exec on their own.
  severityOf: ({ file, capability }) =>
    capability.key === 'encoded-blob' && !file.profile?.capabilities.some((c) => c.kind === 'dynamic-code' || c.kind === 'decode-exec') ? 'medium' : 'high',
  message: ({ file, capability }) => `${file.path} shows new obfuscation: ${capability.detail}`,
});
