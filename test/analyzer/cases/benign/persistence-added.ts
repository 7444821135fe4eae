import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'a workflow path in docs', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'docs/ci.md': 'Copy .github/workflows/ci.yml\n' })] },
  { name: 'a Python CI helper that always read the workflow directory', ecosystem: 'pypi', previous: [wheelBase({ 'demo_py/ci.py': 'WORKFLOWS = ".github/workflows"\n' })], candidate: [wheelNext({ 'demo_py/ci.py': 'WORKFLOWS = ".github/workflows"\nVERSION = 2\n' })] },
];
