#!/usr/bin/env bash
# Runs melange2 from source after the set-up: `bash scripts/melange2.sh ARGS`.
# With no arguments it runs the demo (solve a small graph on BuildKit).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/scripts/env.sh"
if [ $# -eq 0 ]; then set -- demo; fi
exec deno run -A "$here/main.ts" "$@"
