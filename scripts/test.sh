#!/usr/bin/env bash
# The whole test suite: set-up (Deno, runc, buildkitd), then `deno test`.
# Ends with the plain line `N passed, N failed` and exits non-zero on failure.
# Extra arguments go to `deno test` (for example a single test file).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
deno test -A --frozen "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# deno's summary line: "ok | 12 passed (3 steps) | 0 failed | 1 ignored (1s)".
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n 1)
passed=$(sed -E 's/^[A-Z a-z]+\| ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
if [ -z "$summary" ]; then
  # deno test died before its summary (type error, crash): count it as a failure.
  passed=0
  failed=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
