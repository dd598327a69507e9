#!/usr/bin/env bash
# Debian packages some tests need: Chromium (preference-page test, driven by playwright-core) and
# docker-compose (validates docker/compose.yaml without an engine). Idempotent; skips what is present.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
