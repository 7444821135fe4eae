import type { Rule } from '../rule.js';
import { analysisError } from './analysis-error.js';
import { binAdded } from './bin-added.js';
import { browserHookAdded } from './browser-hook-added.js';
import { buildBackendChanged } from './build-backend-changed.js';
import { dataScriptsAdded } from './data-scripts-added.js';
import { decodeExec } from './decode-exec.js';
import { dependencyAdded } from './dependency-added.js';
import { dependencyNonregistry } from './dependency-nonregistry.js';
import { dynamicCodeAdded } from './dynamic-code-added.js';
import { entryPointAdded } from './entry-point-added.js';
import { gypCommand } from './gyp-command.js';
import { installScriptAdded } from './install-script-added.js';
import { installScriptChanged } from './install-script-changed.js';
import { nativeBinaryAdded } from './native-binary-added.js';
import { nativeBuildAdded } from './native-build-added.js';
import { networkCodeAdded } from './network-code-added.js';
import { networkEndpointAdded } from './network-endpoint-added.js';
import { newPackage } from './new-package.js';
import { obfuscationAdded } from './obfuscation-added.js';
import { persistenceAdded } from './persistence-added.js';
import { prepareScriptAdded } from './prepare-script-added.js';
import { processSpawnAdded } from './process-spawn-added.js';
import { provenanceDropped } from './provenance-dropped.js';
import { pthExecAdded } from './pth-exec-added.js';
import { publisherChanged } from './publisher-changed.js';
import { sdistOnly } from './sdist-only.js';
import { secretAccessAdded } from './secret-access-added.js';
import { selfPublish } from './self-publish.js';
import { setupHookAdded } from './setup-hook-added.js';
import { startupHookAdded } from './startup-hook-added.js';

/** Every rule, in the order of DESIGN.md's finding-kinds table. */
export const allRules: readonly Rule[] = [
  installScriptAdded,
  installScriptChanged,
  prepareScriptAdded,
  nativeBuildAdded,
  gypCommand,
  binAdded,
  pthExecAdded,
  startupHookAdded,
  setupHookAdded,
  buildBackendChanged,
  sdistOnly,
  dataScriptsAdded,
  entryPointAdded,
  dependencyAdded,
  dependencyNonregistry,
  nativeBinaryAdded,
  networkCodeAdded,
  networkEndpointAdded,
  processSpawnAdded,
  dynamicCodeAdded,
  decodeExec,
  obfuscationAdded,
  secretAccessAdded,
  browserHookAdded,
  selfPublish,
  persistenceAdded,
  provenanceDropped,
  publisherChanged,
  newPackage,
  analysisError,
];
