import { capabilityRule } from '../capability-rule.js';

/** Overriding fetch, XMLHttpRequest or a wallet provider in the page. */
export const browserHookAdded = capabilityRule({
  id: 'browser-hook-added',
  description: 'Code overrides browser APIs: fetch, XMLHttpRequest, WebSocket or window.ethereum.',
  severity: 'high',
  ecosystems: ['npm'],
  kind: 'browser-hook',
  compare: 'key',
  onFirstRelease: true,
  message: ({ file, capability }) => `${file.path} ${capability.detail}, hooking a browser API`,
});
