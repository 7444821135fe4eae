import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'a console script appears', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({}, { entryPoints: '[console_scripts]\ndemo = demo_py:main\n' })] }];
