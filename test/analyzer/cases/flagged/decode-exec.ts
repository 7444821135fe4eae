import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

// litellm 1.82.7: a base64 payload exec'd in proxy/proxy_server.py (inert replica).
const proxyBefore = 'import json\n\n\ndef handle(request):\n    return json.dumps(request)\n';
const proxyAfter = 'import json\nimport base64\n\n_p = "cHJpbnQoJ2luZXJ0IHJlcGxpY2EnKQ=="\nexec(base64.b64decode(_p))\n\n\ndef handle(request):\n    return json.dumps(request)\n';
export const cases: RuleCase[] = [
  { name: 'litellm 1.82.7 replica: exec(base64.b64decode(...)) in proxy_server.py', ecosystem: 'pypi', previous: [wheelBase({ 'demo_py/proxy/proxy_server.py': proxyBefore })], candidate: [wheelNext({ 'demo_py/proxy/proxy_server.py': proxyAfter })] },
  { name: 'eval of atob in a variable', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const p = atob('Y29uc29sZS5sb2coImluZXJ0Iik=');\neval(p);\nmodule.exports = 1;\n" })] },
  { name: 'a spawn fed by a zlib-inflated buffer', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const { execSync } = require('child_process');\nconst zlib = require('zlib');\nexecSync(zlib.inflateSync(Buffer.from(process.argv[2], 'base64')).toString());\n" })] },
];
