import { capabilityRule } from '../capability-rule.js';

/** eval / new Function / vm / exec / compile in a file that evaluated no code. */
export const dynamicCodeAdded = capabilityRule({
  id: 'dynamic-code-added',
  description: 'Code starts to evaluate code at run time (eval, new Function, vm, module._compile; exec, eval, compile).',
  severity: 'high',
  kind: 'dynamic-code',
  compare: 'kind',
  lenientForNewFiles: true,
  onFirstRelease: false,
  message: ({ file, capability }) => `${file.path} starts to evaluate code at run time (${capability.detail})`,
});
