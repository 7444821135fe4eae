import { capabilityRule } from '../capability-rule.js';

/** Writing places that run code later: CI workflows, shell rc files, services, cron. */
export const persistenceAdded = capabilityRule({
  id: 'persistence-added',
  description: 'Code writes CI workflows, shell rc files, systemd/launchd units, cron entries or other autostart places.',
  severity: 'critical',
  kind: 'persistence',
  compare: 'key',
  onFirstRelease: true,
  message: ({ file, capability }) => `${file.path} ${capability.detail}, a way to persist`,
});
