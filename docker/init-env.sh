#!/usr/bin/env bash
# Writes docker/.env from docker/.env.example, replacing every example secret with a fresh random value
# (`openssl rand -hex 32`, one per distinct example value) and keeping "role:" / "keyId:" prefixes. Never
# overwrites an existing docker/.env. Prints only the names it set, never a value.
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
# The same example value gets the same fresh value wherever it appears: KIELTO_SERVICE_KEY must stay one of the
# admin keys of KIELTO_API_KEYS (the customers service refuses to start otherwise).
declare -A fresh_for=()
remember_fresh() { [ -n "${fresh_for[$1]:-}" ] || fresh_for[$1]=$(random_hex); } # <example value>
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ ^([A-Z0-9_]+)=(.*example.*)$ ]]; then
    name=${BASH_REMATCH[1]}
    IFS=',' read -r -a items <<<"${BASH_REMATCH[2]}"
    fresh=()
    for item in "${items[@]}"; do
      if [[ $item =~ ^([a-z0-9-]+):(.+)$ ]]; then
        remember_fresh "${BASH_REMATCH[2]}"
        fresh+=("${BASH_REMATCH[1]}:${fresh_for[${BASH_REMATCH[2]}]}")
      else
        remember_fresh "$item"
        fresh+=("${fresh_for[$item]}")
      fi
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
