#!/usr/bin/env bash
# An ordinary user with the PATH a login gives (no /usr/sbin), from a clone in their 0700 home:
# the demo's start-up (tools/demo.sh --check) and one nginx suite. Run as root, it makes a
# throwaway user (FRESH_USER, default latchkey-fresh) for this; run as anyone else, it is that
# user. Usage: tests/fresh/unprivileged.sh (from `make fresh-test`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

plain_path=/usr/local/bin:/usr/bin:/bin
if [[ $(id -u) -eq 0 ]]; then
  user=${FRESH_USER:-latchkey-fresh}
  id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  home=$(getent passwd "$user" | cut -d: -f6)
  as_user() { runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$plain_path" LANG=C.UTF-8 "$@"; }
else
  user=$(id -un)
  home=$(mktemp -d /tmp/latchkey-fresh-home-XXXXXX)
  as_user() { env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$plain_path" LANG=C.UTF-8 "$@"; }
fi
chmod 0700 "$home"
clone=$(mktemp -d "$home/latchkey-XXXXXX")
fresh_clone "$clone"
[[ $(id -u) -ne 0 ]] || chown -R "$user:" "$clone"
echo "fresh: clone in $clone (home mode $(stat -c %a "$home")) as $user, PATH=$plain_path"
log=$(mktemp)
as_user "$clone/tools/demo.sh" --check >"$log" 2>&1 || { cat "$log"; echo "fresh: demo --check failed as $user" >&2; exit 1; }
grep '^demo: --check passed' "$log"
rm -f "$log"
as_user bash -c "$(declare -f run_e2e); run_e2e '$clone' e2e/gateway.test.mjs"
rm -rf "$clone"
[[ $(id -u) -eq 0 ]] || rm -rf "$home"
