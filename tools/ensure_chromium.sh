#!/usr/bin/env bash
# Make sure Debian's Chromium is present for tests/test_site.py (the browser test of the site).
# Installs it with apt-get when missing and running as root; otherwise says how and exits 0
# (the browser test then skips, unless MD_REQUIRE_BROWSER=1 makes it fail).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM:-}" ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: installing Debian's chromium for the browser test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
else
    echo "ensure_chromium: no chromium; install it (apt-get install chromium) to run tests/test_site.py"
fi
