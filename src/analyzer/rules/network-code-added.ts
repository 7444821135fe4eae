import { capabilityRule } from '../capability-rule.js';

/** Network APIs in a file that did not use the network. */
export const networkCodeAdded = capabilityRule({
  id: 'network-code-added',
  description: 'Network APIs (http, net, dns, fetch, XHR, WebSocket; socket, urllib, requests, httpx, aiohttp…) appear in code that had none (medium when the package already used the network elsewhere).',
  severity: 'high',
  kind: 'network',
  compare: 'kind',
  lenientForNewFiles: true,
  onFirstRelease: false,
  // A package that already talked to the network elsewhere gains little by one more file doing so;
  // what such code sends is judged by the source→sink check (secret-access-added).
  severityOf: ({ baselineHasKind }) => (baselineHasKind ? 'medium' : 'high'),
  message: ({ file, capability, baselineHasKind }) =>
    `${file.path} gains network access (${capability.detail}) where it had none${baselineHasKind ? ', in a package that already used the network elsewhere' : ''}`,
});
