#!/usr/bin/env bash
# Writes docker/.env from docker/.env.example, replacing every example secret with a fresh random value
# (`openssl rand -hex 32`, one per key) and keeping "role:" / "keyId:" prefixes. Never overwrites an
# existing docker/.env. Prints only the names it set, never a value.
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

tmp=$(mktemp .env.XXXXXX)
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ ^([A-Z0-9_]+)=(.*example.*)$ ]]; then
    name=${BASH_REMATCH[1]}
    IFS=',' read -r -a items <<<"${BASH_REMATCH[2]}"
    fresh=()
    for item in "${items[@]}"; do
      if [[ $item =~ ^([a-z0-9-]+):.+$ ]]; then fresh+=("${BASH_REMATCH[1]}:$(random_hex)"); else fresh+=("$(random_hex)"); fi
    done
    (IFS=','; printf '%s=%s\n' "$name" "${fresh[*]}") >>"$tmp"
    echo "init-env: $name set" >&2
  else
    printf '%s\n' "$line" >>"$tmp"
  fi
done <.env.example
mv "$tmp" .env
trap - EXIT
echo "init-env: wrote docker/.env (mode 600)" >&2
