#!/usr/bin/env bash
# Runs melange2 from source after the set-up: `bash scripts/melange2.sh ARGS`.
# With no arguments it builds examples/hello.yaml into ./packages and runs its test.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/scripts/env.sh"
if [ $# -eq 0 ]; then
  deno run -A "$here/main.ts" build "$here/examples/hello.yaml"
  exec deno run -A "$here/main.ts" test "$here/examples/hello.yaml"
fi
exec deno run -A "$here/main.ts" "$@"
