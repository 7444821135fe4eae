import { Router } from 'express';
import type { AppContext } from '../../app-context.js';
import { AirlockError } from '../../errors.js';
import type { EcosystemModule } from '../ecosystem.js';

// Scaffold: replaced by the pypi ecosystem implementation.
export function createPypiEcosystem(ctx: AppContext): EcosystemModule {
  void ctx;
  return {
    router: Router(),
    artifacts: {
      artifactsOf: async () => {
        throw new AirlockError('EINTERNAL', 'not implemented yet');
      },
      compareVersions: (a, b) => a.localeCompare(b),
      isPrerelease: () => false,
    },
  };
}
