import type { RuleCase } from '../../build-artifacts.js';
import { sdistBase, sdistNext } from '../common.js';

const withCmdclass = (v: string) => `from setuptools import setup\nfrom setuptools.command.build_ext import build_ext\n\nsetup(name='demo_py', version='${v}', cmdclass={'build_ext': build_ext})\n`;
const gitVersion = (v: string) => `import subprocess\nfrom setuptools import setup\n\nrev = subprocess.check_output(['git', 'rev-parse', 'HEAD']).decode()\nsetup(name='demo_py', version='${v}')\n`;
const inFunction = "from setuptools import setup\n\n\ndef version():\n    import subprocess\n    return subprocess.check_output(['git', 'describe']).decode()\n\nsetup(name='demo_py', version='1.0.1')\n";
export const cases: RuleCase[] = [
  { name: 'cmdclass was always there', ecosystem: 'pypi', previous: [sdistBase({ 'setup.py': withCmdclass('1.0.0') })], candidate: [sdistNext({ 'setup.py': withCmdclass('1.0.1') })] },
  { name: 'top-level subprocess was always there', ecosystem: 'pypi', previous: [sdistBase({ 'setup.py': gitVersion('1.0.0') })], candidate: [sdistNext({ 'setup.py': gitVersion('1.0.1') })] },
  { name: 'subprocess inside a function is not top level', ecosystem: 'pypi', previous: [sdistBase()], candidate: [sdistNext({ 'setup.py': inFunction })] },
];
