import { capabilityRule } from '../capability-rule.js';

/** A hard-coded host or URL the baseline did not have in that file. */
export const networkEndpointAdded = capabilityRule({
  id: 'network-endpoint-added',
  description: 'A hard-coded host or URL appears; raw IP addresses and webhook, paste or tunnel hosts are high severity.',
  severity: 'medium',
  kind: 'endpoint',
  compare: 'key',
  // A first release has every URL "new"; only the hosts that are suspicious on their own matter.
  onFirstRelease: ({ capability }) => capability.risk !== undefined,
  severityOf: ({ capability }) => (capability.risk ? 'high' : 'medium'),
  message: ({ file, capability }) =>
    `${file.path} contains a new endpoint, ${capability.key}${capability.risk ? ` (${capability.risk})` : ''}`,
});
