#!/usr/bin/env bash
# Installs the Debian packages (and npm packages) latchkey's targets need. Idempotent.
#   tools/deps.sh          everything `make test` needs (the .deb test included)
#   tools/deps.sh --demo   only what `make demo` needs: the build tools, nginx, Node.js and the
#                          local OpenID provider; no browser, Apache, valgrind or clang
#   tools/deps.sh --deb    the build tools and the Debian packaging tools (`make deb`)
# DEPS_PRINT=1 prints the profile's package list instead of installing anything.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ make pkg-config
  libfcgi-dev libcurl4-openssl-dev rapidjson-dev libssl-dev libgtest-dev zlib1g-dev
  libsqlite3-dev libhiredis-dev redis-server
  curl ca-certificates openssl man-db
  nodejs npm
  apache2 libapache2-mod-fcgid spawn-fcgi systemd acl
  chromium
  wrk valgrind
  clang libclang-rt-14-dev clang-format
  glewlwyd sqlite3
)
build_tools=(g++ make pkg-config libfcgi-dev libcurl4-openssl-dev rapidjson-dev libssl-dev zlib1g-dev
  libsqlite3-dev libhiredis-dev)
deb_tools=(dpkg-dev debhelper lintian)
profile=${1:-}
case $profile in
  "") packages+=("${deb_tools[@]}") ;;
  --demo) packages=("${build_tools[@]}" curl ca-certificates nodejs npm) ;;
  --deb) packages=("${build_tools[@]}" "${deb_tools[@]}") ;;
  *) echo "usage: tools/deps.sh [--demo|--deb]" >&2; exit 2 ;;
esac
if [[ ${DEPS_PRINT:-} == 1 ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Any Debian nginx flavour with the auth_request module will do; install the light one
# only when there is none (nginx-light conflicts with nginx-core/-full).
if [[ $profile != --deb ]] && ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  missing+=(nginx-light)
fi
# A machine may carry its own Node.js outside Debian's packages: accept it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the packaged servers; the tests run their own on free ports.
  for svc in nginx apache2 glewlwyd redis-server; do $sudo service "$svc" stop >/dev/null 2>&1 || true; done
fi

if [[ $profile != --deb && -f tests/package-lock.json ]]; then
  if [[ ! -d tests/node_modules ]] || [[ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]]; then
    echo "deps: npm ci (tests/)"
    (cd tests && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
