#!/bin/sh
# The whole e2e suite once with every latchkey process under valgrind memcheck (release
# build), then a verdict from valgrind's logs: no errors and nothing definitely lost in any
# process. Time bounds of the tests that measure time are scaled (LATCHKEY_E2E_SLOW_FACTOR).
# Usage (from the repository root): tests/soak/memcheck.sh [e2e test files...]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed (make deps)"; exit 1; }
# The run directory, outside the clone (see valgrind-latchkey.sh); tests/out/valgrind points
# to it. The previous run's directory goes when the next run starts.
link="$root/tests/out/valgrind"
old=$(readlink "$link" 2>/dev/null) && case "$old" in /tmp/latchkey-valgrind-*) rm -rf "$old" ;; esac
rm -rf "$link"
run=$(mktemp -d /tmp/latchkey-valgrind-XXXXXX) && chmod 0755 "$run" || exit 1
logs="$run/logs"
mkdir "$logs" && chmod 1777 "$logs"
cp "$root/tests/soak/valgrind-latchkey.sh" "$root/build/latchkey" "$run/" || exit 1
mkdir -p "$root/tests/out" && ln -s "$run" "$link"

cd "$root/tests"
if [ $# -eq 0 ]; then set -- e2e/; fi
LATCHKEY_BIN="$run/valgrind-latchkey.sh" LATCHKEY_E2E_SLOW_FACTOR=${LATCHKEY_E2E_SLOW_FACTOR:-8} \
  LATCHKEY_E2E_START_TIMEOUT_MS=${LATCHKEY_E2E_START_TIMEOUT_MS:-90000} \
  node --test --test-concurrency=1 "$@" > "$logs/e2e.tap" 2>&1
suite=$?
grep -E '^# (tests|pass|fail|cancelled|skipped)' "$logs/e2e.tap"
if [ $suite -ne 0 ]; then
  echo "memcheck: e2e suite under valgrind failed (exit $suite); failures:"
  grep -E '^not ok' "$logs/e2e.tap" | head -30
fi

processes=0; bad=0
for f in "$logs"/latchkey.*.log; do
  [ -e "$f" ] || continue
  processes=$((processes + 1))
  errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d , | tail -1)
  definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d , | tail -1)
  if [ -z "$errors" ]; then
    # No summary: the process was killed (SIGKILL test) or is a --version/--check run that
    # exec'd nothing; valgrind writes errors as they happen, so look for any.
    if grep -qE '^==[0-9]+== (Invalid|Conditional|Use of uninitialised|Syscall param|Mismatched)' "$f"; then
      echo "memcheck: $f: errors in a process without summary"; bad=$((bad + 1))
    fi
    continue
  fi
  if [ "$errors" != "0" ] || [ "${definite:-0}" != "0" ]; then
    echo "memcheck: $f: $errors errors, ${definite:-0} bytes definitely lost"
    bad=$((bad + 1))
  fi
done
echo "memcheck: $processes latchkey processes under valgrind, $bad with errors or definite leaks (logs: $logs)"
[ $processes -gt 0 ] && [ $bad -eq 0 ] && [ $suite -eq 0 ]
