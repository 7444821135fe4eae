import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'the same bin as before', ecosystem: 'npm', previous: [npmBase({ 'cli.js': '' }, { bin: { demo: 'cli.js' } })], candidate: [npmNext({ 'cli.js': '' }, { bin: { demo: './cli.js' } })] }];
