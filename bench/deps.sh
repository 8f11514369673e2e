#!/usr/bin/env bash
# What `make bench` needs beyond `make deps`: wrk, Apache with mod_auth_openidc (the
# comparison), valgrind (instruction counts). Idempotent. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
packages=(wrk apache2 libapache2-mod-auth-openidc valgrind libfcgi-dev gcc)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bench deps: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the packaged Apache; the benchmark runs its own on free ports.
  $sudo service apache2 stop >/dev/null 2>&1 || true
fi
