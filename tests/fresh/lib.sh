# Shared by the tests/fresh/ scripts (sourced): a clone of this repository somewhere else, as a
# newcomer gets it with `git clone`, plus what a fresh machine's `make test` would make in it.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# fresh_clone DEST: git clone of HEAD into DEST, with the working tree's uncommitted changes and
# new files on top (so the test checks the code being tested). A clone has no build/ and no
# tests/node_modules: building them again here would cost minutes that `make test` has just
# spent, so the binaries the e2e tests run and the npm packages of this tree are copied in.
# The checkout may belong to another user than the one running the tests (a CI container as
# root on a mounted tree): git would refuse it as "dubious ownership" without safe.directory.
source_git() { git -c safe.directory='*' -C "$root" "$@"; }

fresh_clone() {
  local dest=$1
  git -c safe.directory='*' clone -q --no-hardlinks "$root" "$dest"
  git -C "$dest" checkout -q --detach "$(source_git rev-parse HEAD)"
  source_git diff --binary HEAD | git -C "$dest" apply --allow-empty
  source_git ls-files -z --others --exclude-standard | tar cf - -C "$root" --null -T - | tar xf - -C "$dest"
  local f
  for f in build/latchkey build/asan/latchkey build/mint_cookie; do
    [[ -x $root/$f ]] || { echo "fresh: $root/$f is missing: make all build/asan/latchkey build/mint_cookie" >&2; return 1; }
    mkdir -p "$dest/$(dirname "$f")"
    cp "$root/$f" "$dest/$f"
  done
  cp -a "$root/tests/node_modules" "$dest/tests/node_modules"
}

# run_e2e DIR FILES...: the e2e files in the clone at DIR; fails unless every test ran and passed.
run_e2e() {
  local dir=$1; shift
  local out; out=$(mktemp)
  local rc=0
  (cd "$dir/tests" && node --test --test-concurrency=1 "$@") >"$out" 2>&1 || rc=$?
  grep -E '^# (tests|pass|fail|skipped)' "$out" | tr '\n' ' ' || true; echo
  if ((rc != 0)) || ! grep -q '^# fail 0$' "$out" || ! grep -q '^# skipped 0$' "$out"; then
    grep -E '^not ok|^# Subtest' "$out" | head -40
    echo "fresh: e2e failed in $dir (full output: $out)" >&2
    return 1
  fi
  rm -f "$out"
}
