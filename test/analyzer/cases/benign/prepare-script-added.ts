import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'prepare was always there', ecosystem: 'npm', previous: [npmBase({}, { scripts: { prepare: 'tsc' } })], candidate: [npmNext({}, { scripts: { prepare: 'tsc -p .' } })] }];
