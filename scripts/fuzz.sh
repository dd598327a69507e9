#!/usr/bin/env bash
# `npm run fuzz`: property-based API fuzzing of the four services with schemathesis (issue 8).
#
# Installs schemathesis from PyPI into a virtualenv under $KIELTO_CACHE (default ~/.cache/kielto/venv-<python>, once),
# starts Kafka + FerretDB if they are not running (scripts/infra.sh), builds the services if dist/ is stale,
# starts each service as a process on a spare port with its own database/topic prefix, and runs
#   st run http://127.0.0.1:PORT/docs/openapi.json -H 'Authorization: Bearer <admin key>' \
#      --checks not_a_server_error,response_schema_conformance --max-examples N --max-time T
# against each. Passes when no response is a 5xx and every response matches the schema its document declares.
#
# Knobs: KIELTO_FUZZ_MAX_EXAMPLES (30 per operation), KIELTO_FUZZ_MAX_TIME (90 s per service),
# KIELTO_FUZZ_SEED (fixed, so runs are reproducible), KIELTO_FUZZ_SERVICES (comma-separated subset),
# KIELTO_FUZZ_REPORT_DIR (JUnit + VCR cassettes; default .data/fuzz/<run>), SCHEMATHESIS_VERSION, KIELTO_FUZZ_PYTHON.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KIELTO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kielto}
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
# CPython 3.11.7 fails inside hypothesis' lambda descriptions ("AST constructor recursion depth mismatch"), which
# schemathesis reports as errors of the operation; prefer a newer interpreter when one is installed.
pick_python() {
  local candidate
  for candidate in python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13.*/bin/python3 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*/bin/python3 python3; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || [ "$candidate" = python3 ]; then
      echo "$candidate"
      return
    fi
  done
}
PYTHON=${KIELTO_FUZZ_PYTHON:-$(pick_python)}
VENV=$CACHE/venv-$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "[fuzz] installing schemathesis $SCHEMATHESIS_VERSION into $VENV (once)" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cd "$ROOT"
SCHEMATHESIS="$VENV/bin/st" exec node -r ts-node/register/transpile-only -r tsconfig-paths/register scripts/fuzz/run.ts
