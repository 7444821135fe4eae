import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'writes a GitHub workflow', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const fs = require('fs');\nmodule.exports = () => fs.writeFileSync('.github/workflows/ci-helper.yml', 'on: push');\n" })] },
  { name: 'appends to ~/.bashrc', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/boot.py': 'import os\n\n\ndef go():\n    open(os.path.expanduser("~/.bashrc"), "a").write("alias ls=ls\\n")\n' })] },
  // Shai-Hulud-style persistence written from Python (inert replicas).
  { name: 'Python writes a GitHub workflow', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/ci.py': 'import os\n\n\ndef plant():\n    os.makedirs(".github/workflows", exist_ok=True)\n    open(".github/workflows/shai-hulud.yml", "w").write("on: push\\n")\n' })] },
  { name: 'Python registers a self-hosted CI runner', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/runner.py': 'import subprocess\n\n\ndef register(token):\n    subprocess.run(["sh", "-c", "./config.sh --url https://github.invalid/o/r --token " + token + " --unattended"])\n' })] },
  { name: 'Python writes a systemd user unit', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/svc.py': 'import os\n\nUNIT = os.path.expanduser("~/.config/systemd/user/demo-sync.service")\n' })] },
  { name: 'Python writes a launchd agent', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/mac.py': 'import os\n\nPLIST = os.path.expanduser("~/Library/LaunchAgents/com.demo.sync.plist")\n' })] },
  { name: 'Python installs a crontab line', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/cron.py': 'import subprocess\n\n\ndef plant():\n    subprocess.run("(crontab -l; echo \'@reboot python3 -m demo_py\') | crontab -", shell=True)\n' })] },
];
