#!/bin/sh
# latchkey under valgrind memcheck, for the e2e harness (LATCHKEY_BIN=this script): exec, so
# the process the tests start, signal and measure is valgrind running the release build.
# tests/soak/memcheck.sh copies this script and build/latchkey into a run directory under /tmp
# (Apache's CGI children run as nobody and cannot reach a clone in a 0700 home) and reads the
# logs there: one per process in logs/ (world-writable for the same reason).
here=$(cd "$(dirname "$0")" && pwd)
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --num-callers=40 --error-exitcode=99 \
  --log-file="$here/logs/latchkey.%p.log" \
  "${LATCHKEY_VALGRIND_TARGET:-$here/latchkey}" "$@"
