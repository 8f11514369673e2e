#!/usr/bin/env bash
# A clone in a directory of mode 0700 (a home directory on Debian 12), tested from there: the
# Apache suite and one nginx suite. Run as root, Apache's children are nobody and could not
# reach anything inside the clone, so this proves the tests serve nothing from it.
# Usage: tests/fresh/clone-0700.sh (from `make fresh-test`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

home=$(mktemp -d /tmp/latchkey-fresh-home-XXXXXX)
chmod 0700 "$home"
fresh_clone "$home/latchkey"
echo "fresh: clone in $home (mode $(stat -c %a "$home")) as $(id -un)"
run_e2e "$home/latchkey" e2e/apache.test.mjs e2e/gateway.test.mjs
rm -rf "$home"
