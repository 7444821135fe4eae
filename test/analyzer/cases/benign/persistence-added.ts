import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'a workflow path in docs', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'docs/ci.md': 'Copy .github/workflows/ci.yml\n' })] }];
