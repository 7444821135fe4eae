import { capabilityRule } from '../capability-rule.js';

/** A package that publishes packages: how worms spread. */
export const selfPublish = capabilityRule({
  id: 'self-publish',
  description: 'Code publishes packages itself: `npm publish`, a registry PUT, `twine upload`.',
  severity: 'critical',
  kind: 'self-publish',
  compare: 'kind',
  onFirstRelease: true,
  message: ({ file, capability }) => `${file.path} publishes packages itself (${capability.detail})`,
});
