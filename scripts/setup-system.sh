#!/usr/bin/env bash
# Debian packages some tests need: Chromium (preference-page test, driven by playwright-core) and
# docker-compose (validates docker/compose.yaml without an engine). Run by the test setup (test/setup/
# global-setup.js) before the end-to-end tests, so `npm test` needs nothing run first. Idempotent: installs only
# what is missing. As root it installs; otherwise through sudo when that needs no password; else it names the
# command to run and exits 1.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ ${#need[@]} -eq 0 ] && exit 0

command_line="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
explain() {
  echo "[setup] the preference-page and compose tests need the Debian packages: ${need[*]}" >&2
  echo "[setup] $1; install them with:  sudo sh -c '$command_line'" >&2
  exit 1
}
command -v apt-get >/dev/null 2>&1 || explain "this machine has no apt-get"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; } || explain "not root, and sudo is missing or wants a password"
  SUDO=(sudo -n)
fi
echo "[setup] installing ${need[*]} (once)" >&2
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
