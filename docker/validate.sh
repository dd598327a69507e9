#!/usr/bin/env bash
# Validates docker/compose.yaml without a Docker engine (only the client is needed):
#   1. `compose --env-file docker/.env.example -f docker/compose.yaml config` must succeed;
#   2. the same with any one secret missing must fail and name it, proving no secret has a default.
# Uses the `docker compose` plugin when present, else Debian's `docker-compose` (apt-get install docker-compose).
# Prints the rendered config; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "validate: neither the 'docker compose' plugin nor 'docker-compose' is installed" >&2
  exit 127
fi
echo "validate: using $("${compose[@]}" version 2>/dev/null | head -n 1)" >&2

# Secrets set in the caller's environment would mask both checks: drop them.
secrets=(KIELTO_API_KEYS KIELTO_SERVICE_KEY KIELTO_PARTNER_HASH_KEY KIELTO_PII_KEYS KIELTO_PII_HASH_KEY
  KIELTO_UNSUBSCRIBE_KEYS KIELTO_SMS_WEBHOOK_SECRET)
unset_args=()
for name in "${secrets[@]}"; do unset_args+=(-u "$name"); done

env "${unset_args[@]}" "${compose[@]}" --env-file docker/.env.example -f docker/compose.yaml config

# Each secret on its own: with every other value from the example but this one missing, rendering must fail
# and name it, so no secret can ever fall back to a default.
partial=$(mktemp)
trap 'rm -f "$partial"' EXIT
for name in "${secrets[@]}"; do
  grep -v "^$name=" docker/.env.example >"$partial"
  if errors=$(env "${unset_args[@]}" "${compose[@]}" --env-file "$partial" -f docker/compose.yaml config 2>&1 >/dev/null); then
    echo "validate: FAILED: compose.yaml renders without $name; it must be \${$name:?set $name in docker/.env}" >&2
    exit 1
  fi
  if ! grep -q "set $name in docker/.env" <<<"$errors"; then
    echo "validate: FAILED: without $name, compose failed for another reason:" >&2
    echo "$errors" >&2
    exit 1
  fi
done
echo "validate: OK (renders with docker/.env.example; refuses to render without any one of its ${#secrets[@]} secrets)" >&2
