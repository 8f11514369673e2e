#!/usr/bin/env bash
# Runs libFuzzer targets one after another, each for FUZZ_SECONDS (default 60), starting
# from the checked-in seed corpus tests/fuzz/corpus/<name>/. New inputs the fuzzer finds go
# to build/fuzz/corpus/<name>/ (not the repository); crashes to build/fuzz/artifacts/<name>/.
#
#   tests/fuzz/run.sh [name ...]      (default: every build/fuzz/*_fuzzer)
#
# Exit status: non-zero when any target crashed, leaked, or broke a property. A summary line
# per target gives the number of executions.
set -u

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECONDS_EACH=${FUZZ_SECONDS:-60}
RSS_LIMIT_MB=${FUZZ_RSS_LIMIT_MB:-2048}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for bin in "$BUILD"/fuzz/*_fuzzer; do
    [ -x "$bin" ] || continue
    base=$(basename "$bin")
    names+=("${base%_fuzzer}")
  done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
summary=()
for name in "${names[@]}"; do
  bin="$BUILD/fuzz/${name}_fuzzer"
  seeds="tests/fuzz/corpus/$name"
  work="$BUILD/fuzz/corpus/$name"
  artifacts="$BUILD/fuzz/artifacts/$name"
  log="$BUILD/fuzz/logs/$name.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (make fuzz-build)" >&2
    failed+=("$name(missing)")
    continue
  fi
  echo "fuzz: $name for ${SECONDS_EACH}s"
  # stdin from /dev/null: nothing a target reads may ever wait on a terminal.
  nice "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb="$RSS_LIMIT_MB" \
    -max_len=20000 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "$seeds" </dev/null >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  line=$(printf '%-16s %10s execs  rc=%s' "$name" "${execs:-?}" "$rc")
  summary+=("$line")
  echo "fuzz: $line"
  if [ "$rc" -ne 0 ]; then
    failed+=("$name")
    echo "fuzz: $name FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
  fi
done

echo "fuzz summary (${SECONDS_EACH}s each):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: failed: ${failed[*]} (inputs in $BUILD/fuzz/artifacts/)" >&2
  exit 1
fi
