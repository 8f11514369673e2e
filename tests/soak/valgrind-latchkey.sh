#!/bin/sh
# latchkey under valgrind memcheck, for the e2e harness (LATCHKEY_BIN=this script): exec, so
# the process the tests start, signal and measure is valgrind running the release build.
# One log per process in tests/out/valgrind/ (world-writable: Apache's CGI children run as
# nobody); tests/soak/memcheck.sh reads them. LATCHKEY_VALGRIND_TARGET overrides the binary.
here=$(cd "$(dirname "$0")" && pwd)
logs="$here/../out/valgrind"
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --num-callers=40 --error-exitcode=99 \
  --log-file="$logs/latchkey.%p.log" \
  "${LATCHKEY_VALGRIND_TARGET:-$here/../../build/latchkey}" "$@"
