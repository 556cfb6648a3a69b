#!/usr/bin/env bash
# Runs every Go fuzz target for FUZZTIME (default 10s) on top of its committed
# seed corpus. A failure that leaves a new crasher under testdata/fuzz fails at
# once (and prints it); a failure that leaves none (the fuzzing engine's own
# hiccups on a loaded machine: a worker that times out or dies) is retried once.
set -uo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-10s}"
status=0
for file in $(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do
  pkg="./$(dirname "${file#./}")"
  for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
    for attempt in 1 2; do
      echo "fuzz $pkg $target ($FUZZTIME)"
      log="$(mktemp)"
      if "$GO" test "$pkg" -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" >"$log" 2>&1; then
        rm -f "$log"; break
      fi
      tail -n 25 "$log"; rm -f "$log"
      crashers="$(git status --porcelain --untracked-files=all -- "$pkg/testdata/fuzz/$target" 2>/dev/null)"
      if [ -n "$crashers" ]; then
        echo "fuzz: $target found a failing input:"; echo "$crashers"
        status=1; break
      fi
      if [ "$attempt" = 2 ]; then
        echo "fuzz: $target failed twice without a failing input"; status=1
      else
        echo "fuzz: $target stopped without a failing input; retrying once"
      fi
    done
  done
done
exit $status
