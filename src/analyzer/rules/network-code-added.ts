import { capabilityRule } from '../capability-rule.js';

/** Network APIs in a file that did not use the network. */
export const networkCodeAdded = capabilityRule({
  id: 'network-code-added',
  description: 'Network APIs (http, net, dns, fetch, XHR, WebSocket; socket, urllib, requests, httpx, aiohttp…) appear in code that had none.',
  severity: 'high',
  kind: 'network',
  compare: 'kind',
  lenientForNewFiles: true,
  onFirstRelease: false,
  message: ({ file, capability }) => `${file.path} gains network access (${capability.detail}) where it had none`,
});
