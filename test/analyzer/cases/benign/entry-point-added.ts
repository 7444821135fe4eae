import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

const eps = '[console_scripts]\ndemo = demo_py:main\n';
export const cases: RuleCase[] = [{ name: 'the same console script', ecosystem: 'pypi', previous: [wheelBase({}, { entryPoints: eps })], candidate: [wheelNext({}, { entryPoints: eps })] }];
