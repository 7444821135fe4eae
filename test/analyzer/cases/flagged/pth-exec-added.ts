import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

// litellm 1.82.8: litellm_init.pth started a payload at every interpreter start (inert replica).
const litellmPth = 'import os, subprocess, sys; subprocess.Popen([sys.executable, "-c", "import base64; exec(base64.b64decode(\'cHJpbnQoJ2luZXJ0Jyk=\'))"])\n';
export const cases: RuleCase[] = [
  { name: 'litellm 1.82.8 replica: a new .pth with an import line', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py_init.pth': litellmPth })] },
  { name: 'an existing path-only .pth gains an import line', ecosystem: 'pypi', previous: [wheelBase({ 'demo.pth': 'demo_py/vendor\n' })], candidate: [wheelNext({ 'demo.pth': 'demo_py/vendor\nimport demo_py._boot\n' })] },
  // Spoofs of setuptools' own .pth files: the same start, then something else runs.
  {
    name: 'a distutils-precedence.pth that goes on to exec a payload',
    ecosystem: 'pypi',
    previous: [wheelBase()],
    candidate: [wheelNext({ 'distutils-precedence.pth': "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); __import__('demo_py._boot')\n" })],
  },
  {
    name: 'a -nspkg.pth with one more statement',
    ecosystem: 'pypi',
    previous: [wheelBase()],
    candidate: [wheelNext({ 'demo_py-1.0.1-py3.12-nspkg.pth': "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('demo',));importlib = has_mfs and __import__('importlib.util');has_mfs and __import__('importlib.machinery');m = has_mfs and sys.modules.setdefault('demo', importlib.util.module_from_spec(importlib.machinery.PathFinder.find_spec('demo', [os.path.dirname(p)])));m = m or sys.modules.setdefault('demo', types.ModuleType('demo'));mp = (m or []) and m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p);__import__('demo_py._boot')\n" })],
  },
];
