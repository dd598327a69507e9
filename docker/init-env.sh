#!/usr/bin/env bash
# Writes docker/.env from docker/.env.example, replacing every example secret with a fresh random value
# (`openssl rand -hex 32`, one per key; KIELTO_PII_KEYS get 32 random bytes in base64, the AES-256 key format)
# and keeping "role:" / "keyId:" prefixes. KIELTO_SERVICE_KEY, the key the services call each other with, is
# added to KIELTO_API_KEYS as an admin key of its own (its own key id in the audit trail). Never overwrites an
# existing docker/.env. Prints only the names it set, never a value.
# The generated file is tested by starting the four services with it: test/security/docker-env.e2e-spec.ts.
set -euo pipefail
cd "$(dirname "$0")"
umask 077

if [ -e .env ]; then
  echo "init-env: docker/.env already exists; not touching it" >&2
  exit 1
fi

random_hex() {
  if command -v openssl >/dev/null 2>&1; then openssl rand -hex 32; else od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; echo; fi
}

random_base64() {
  if command -v openssl >/dev/null 2>&1; then openssl rand -base64 32; else head -c 32 /dev/urandom | base64; fi
}

service_key=$(random_hex)
tmp=$(mktemp .env.XXXXXX)
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ ^([A-Z0-9_]+)=(.*example.*)$ ]]; then
    name=${BASH_REMATCH[1]}
    IFS=',' read -r -a items <<<"${BASH_REMATCH[2]}"
    fresh=()
    value=random_hex
    # AES-256-GCM keys are 32 bytes in base64: 64 hex characters read as base64 are 48 bytes, and refused.
    if [ "$name" = KIELTO_PII_KEYS ]; then value=random_base64; fi
    for item in "${items[@]}"; do
      if [ "$name" = KIELTO_SERVICE_KEY ]; then fresh+=("$service_key")
      elif [[ $item =~ ^([a-z0-9-]+):.+$ ]]; then fresh+=("${BASH_REMATCH[1]}:$($value)")
      else fresh+=("$($value)"); fi
    done
    if [ "$name" = KIELTO_API_KEYS ]; then fresh+=("admin:$service_key"); fi
    (IFS=','; printf '%s=%s\n' "$name" "${fresh[*]}") >>"$tmp"
    echo "init-env: $name set" >&2
  else
    printf '%s\n' "$line" >>"$tmp"
  fi
done <.env.example
mv "$tmp" .env
trap - EXIT
echo "init-env: wrote docker/.env (mode 600)" >&2
