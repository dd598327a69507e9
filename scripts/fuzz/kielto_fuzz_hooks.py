"""Schemathesis hooks for kielto's fuzz run (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz/run.ts).

The NDJSON routes (POST /v1/suppression/check/stream, POST /v1/suppression/entries/import) document their raw
body as a string; schemathesis has no serializer for application/x-ndjson, so the generated text is sent as is.
"""
import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
