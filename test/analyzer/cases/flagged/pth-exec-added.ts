import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

// litellm 1.82.8: litellm_init.pth started a payload at every interpreter start (inert replica).
const litellmPth = 'import os, subprocess, sys; subprocess.Popen([sys.executable, "-c", "import base64; exec(base64.b64decode(\'cHJpbnQoJ2luZXJ0Jyk=\'))"])\n';
export const cases: RuleCase[] = [
  { name: 'litellm 1.82.8 replica: a new .pth with an import line', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py_init.pth': litellmPth })] },
  { name: 'an existing path-only .pth gains an import line', ecosystem: 'pypi', previous: [wheelBase({ 'demo.pth': 'demo_py/vendor\n' })], candidate: [wheelNext({ 'demo.pth': 'demo_py/vendor\nimport demo_py._boot\n' })] },
];
