import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'a prepare script appears', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({}, { scripts: { prepare: 'node build.js' } })] }];
