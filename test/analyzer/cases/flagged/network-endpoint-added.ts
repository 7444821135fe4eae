import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'a raw IP address', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = { server: 'http://198.51.100.23:8443/collect' };\n" })] },
  { name: 'a hostname option', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = { hostname: 'telemetry.example.invalid', path: '/v1' };\n" })] },
  { name: 'a webhook collector in Python', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/util.py': 'HOOK = "https://webhook.site/00000000-0000-0000-0000-000000000000"\n' })] },
];
