import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'a sitecustomize.py inside the package, not at the root', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/templates/sitecustomize.py': '# template\n' })] },
  { name: 'sitecustomize.py that was always there', ecosystem: 'pypi', previous: [wheelBase({ 'sitecustomize.py': 'pass\n' })], candidate: [wheelNext({ 'sitecustomize.py': 'pass  # v2\n' })] },
];
