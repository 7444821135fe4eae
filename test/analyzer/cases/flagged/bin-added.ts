import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'a bin entry appears', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'cli.js': '#!/usr/bin/env node\nconsole.log(1);\n' }, { bin: { demo: 'cli.js' } })] }];
