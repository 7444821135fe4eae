import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

// setuptools' templates, verbatim in shape.
const nspkg = "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('demo',));importlib = has_mfs and __import__('importlib.util');has_mfs and __import__('importlib.machinery');m = has_mfs and sys.modules.setdefault('demo', importlib.util.module_from_spec(importlib.machinery.PathFinder.find_spec('demo', [os.path.dirname(p)])));m = m or sys.modules.setdefault('demo', types.ModuleType('demo'));mp = (m or []) and m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n";
const precedence = "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n";
export const cases: RuleCase[] = [
  { name: 'a namespace-package -nspkg.pth', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py-1.0.1-py3.12-nspkg.pth': nspkg })] },
  { name: 'distutils-precedence.pth that was always there', ecosystem: 'pypi', previous: [wheelBase({ 'distutils-precedence.pth': precedence })], candidate: [wheelNext({ 'distutils-precedence.pth': precedence })] },
  { name: 'a new distutils-precedence.pth, exactly setuptools’ template', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'distutils-precedence.pth': precedence })] },
  { name: 'a nested namespace -nspkg.pth', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py-1.0.1-py3.12-nspkg.pth': nspkg.replaceAll("'demo'", "'demo.sub'").replace("*('demo.sub',)", "*('demo', 'sub')").replace('\n', ";m and setattr(sys.modules['demo'], 'sub', m)\n") })] },
  { name: 'a .pth with only path lines', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo.pth': 'demo_py/vendor\n# import nothing\n' })] },
];
