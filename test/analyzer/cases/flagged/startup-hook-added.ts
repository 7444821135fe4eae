import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'a sitecustomize.py appears at the wheel root', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'sitecustomize.py': 'import demo_py\n' })] }];
