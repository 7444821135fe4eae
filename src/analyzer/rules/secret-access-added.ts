import { capabilityRule } from '../capability-rule.js';

/** Credential locations, token commands, cloud metadata, whole-environment dumps. */
export const secretAccessAdded = capabilityRule({
  id: 'secret-access-added',
  description: 'Code reaches for credentials: ~/.ssh, ~/.aws, ~/.npmrc, ~/.pypirc, kube config, `gh auth token`, cloud metadata, the whole environment.',
  severity: 'high',
  kind: 'secret',
  compare: 'key',
  onFirstRelease: true,
  message: ({ file, capability }) => `${file.path} newly ${capability.detail}`,
});
