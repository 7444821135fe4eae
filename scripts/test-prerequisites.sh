#!/usr/bin/env bash
# Installs the Debian packages the test suite drives, when they are missing:
#   chromium        the real browser for the web page test (playwright-core drives /usr/bin/chromium)
#   python3-poetry  the second real Python client, beside pip, for the PyPI tests
#   postgresql      PostgreSQL 15's server binaries; the store tests start their own cluster in a
#                   temp dir with them (test/helpers/postgres.ts), never the packaged service
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v poetry >/dev/null 2>&1 || need+=(python3-poetry)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "The tests need these Debian packages: ${need[*]}. Install them (apt-get install ${need[*]}) and run again." >&2
    exit 1
  fi
fi
echo "Installing Debian packages for the tests: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
