#!/usr/bin/env bash
# make demo: latchkey on your machine in one command, with a local OpenID provider.
#
#   tests/provider/dev-provider.mjs   the OpenID provider (demo account alice@example.com / wonderland)
#   build/latchkey                    FastCGI on a unix socket in a temporary directory
#   nginx                             the shipped nginx/latchkey.conf, on http://127.0.0.1:8080/
#
# Everything listens on 127.0.0.1 only. Ctrl-C stops all three and removes the directory.
# Ports: DEMO_PORT (default 8080) and DEMO_PROVIDER_PORT (9090); a free port is picked when the
# default is taken. Works as root and as a normal user.
#
#   tools/demo.sh --check   start everything, check that / and /login answer, stop (for tests)
set -euo pipefail
check=0
case ${1:-} in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: tools/demo.sh [--check]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
repo=$(pwd)

# LATCHKEY_BIN: another build to run (as in the e2e tests); by default build/latchkey, made here.
bin=${LATCHKEY_BIN:-build/latchkey}
[[ -n ${LATCHKEY_BIN:-} || -x $bin ]] || nice make all
[[ -x $bin ]] || { echo "demo: $bin is not an executable" >&2; exit 1; }
if [[ ! -d tests/node_modules/oidc-provider ]]; then
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
# Debian installs nginx in /usr/sbin, which is not on an ordinary user's PATH.
nginx_bin=$(PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v nginx) ||
  { echo "demo: nginx is not installed (make deps)" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
any_free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
pick_port() { if port_free "$1"; then echo "$1"; else any_free_port; fi; }
port=$(pick_port "${DEMO_PORT:-8080}")
provider_port=$(pick_port "${DEMO_PROVIDER_PORT:-9090}")
[[ $provider_port != "$port" ]] || provider_port=$(any_free_port)
site="http://127.0.0.1:$port"
issuer="http://127.0.0.1:$provider_port"

dir=$(mktemp -d /tmp/latchkey-demo.XXXXXX)
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "demo: stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "demo: $1" >&2
  for f in provider.log latchkey.log nginx-error.log; do
    [[ -s $dir/$f ]] && { echo "--- $f ---" >&2; tail -n 20 "$dir/$f" >&2; }
  done
  exit 1
}

wait_until() {  # wait_until DESCRIPTION PID COMMAND...: poll COMMAND for 15 s while PID lives
  local what=$1 pid=$2; shift 2
  for _ in $(seq 150); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "$what exited during start-up"
    sleep 0.1
  done
  fail "$what did not start within 15 s"
}

client_secret=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
cookie_secret=$(head -c 32 /dev/urandom | base64)

# 1. The OpenID provider.
DEV_PROVIDER_PORT=$provider_port \
DEV_PROVIDER_CLIENT_SECRET=$client_secret \
DEV_PROVIDER_REDIRECT_URIS="$site/login/authorized" \
  node tests/provider/dev-provider.mjs >"$dir/provider.log" 2>&1 &
pids+=($!)
wait_until "the dev provider" "$!" curl -fsS "$issuer/.well-known/openid-configuration"

# 2. latchkey. Its socket must be reachable by nginx's workers: when we run as root they run as
#    nobody, so the socket gets nobody's group (--socket-group, as a real site does with
#    www-data) and the directory is made traversable.
cat >"$dir/latchkey.conf" <<EOF
# written by tools/demo.sh
issuer = $issuer
client_id = latchkey-demo
client_secret = $client_secret
redirect_uri = $site/login/authorized
cookie_secret = $cookie_secret
log_level = info
provider_name = the demo provider
# The embedded session store: sign-out revokes the session, --revoke-user works.
session_store = sqlite:$dir/state/state.db
EOF
mkdir -p "$dir/state"
chmod 600 "$dir/latchkey.conf"
socket_args=()
nginx_user=""
if [[ $(id -u) -eq 0 ]]; then
  group=$(id -gn nobody 2>/dev/null || echo nogroup)
  socket_args=(--socket-group "$group")
  nginx_user="user nobody $group;"
  chmod 711 "$dir"
fi
# stderr is JSON log lines: shown here and kept in latchkey.log.
"$bin" --config "$dir/latchkey.conf" --listen "unix:$dir/latchkey.sock" "${socket_args[@]}" \
  2> >(tee -a "$dir/latchkey.log" >&2) &
pids+=($!)
wait_until "latchkey" "$!" test -S "$dir/latchkey.sock"

# 3. nginx with the shipped server block (same adaptation as the end-to-end tests).
mkdir -p "$dir/www/app" "$dir/nginx-tmp"
cat >"$dir/www/app/index.html" <<'EOF'
<!doctype html><meta charset="utf-8"><title>Protected</title>
<h1>A protected page</h1><p>nginx showed this only because latchkey said yes.
<p><a href="/">latchkey home</a> · <a href="/userinfo">/userinfo</a></p>
EOF
chmod -R a+rX "$dir/www"
node --input-type=module -e '
  import fs from "node:fs";
  import { adaptShippedConf } from "./tests/e2e/lib/nginx.mjs";
  const [conf, socket, port, root, out] = process.argv.slice(1);
  fs.writeFileSync(out, adaptShippedConf(fs.readFileSync(conf, "utf8"), { socket, port, root }));
' nginx/latchkey.conf "$dir/latchkey.sock" "$port" "$dir/www" "$dir/server.conf"
cat >"$dir/nginx.conf" <<EOF
$nginx_user
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 256; }
http {
    access_log $dir/nginx-access.log;
    client_body_temp_path $dir/nginx-tmp/body;
    proxy_temp_path $dir/nginx-tmp/proxy;
    fastcgi_temp_path $dir/nginx-tmp/fastcgi;
    uwsgi_temp_path $dir/nginx-tmp/uwsgi;
    scgi_temp_path $dir/nginx-tmp/scgi;
    include $dir/server.conf;
}
EOF
"$nginx_bin" -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" &
pids+=($!)
wait_until "nginx" "$!" curl -fsS "$site/healthz"

if ((check)); then
  # The home page names the provider, and /login sends the browser to it.
  curl -fsS "$site/" | grep -q "the demo provider" || fail "$site/ does not show the sign-in page"
  login=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$site/login")
  [[ $login == "302 $issuer/"* ]] || fail "$site/login answered '$login', not a 302 to $issuer"
  echo "demo: --check passed: $site/ and $site/login answer (nginx $nginx_bin, as $(id -un))"
  exit 0
fi

cat <<EOF

  latchkey demo is running.

  Open $site/ — demo account alice@example.com / wonderland
  A protected page: $site/app/   (sign-in, then back)
  Provider: $issuer   Files and logs: $dir

  Ctrl-C stops everything.

EOF
# Over SSH the browser is on another machine: both ports must be forwarded under the same
# numbers, because the provider's address and redirect_uri name them.
if [[ -n ${SSH_CONNECTION:-} ]]; then
  read -r _ _ ssh_host ssh_port <<<"$SSH_CONNECTION"
  [[ $ssh_host == *:* ]] && ssh_host="[$ssh_host]"
  ssh_opts=""
  [[ ${ssh_port:-22} == 22 ]] || ssh_opts=" -p $ssh_port"
  cat <<EOF
  You are on this machine over SSH. To open the demo in the browser of your own computer,
  forward both ports (the same numbers on your side), then open $site/ there:

    ssh -N -L $port:127.0.0.1:$port -L $provider_port:127.0.0.1:$provider_port$ssh_opts $(id -un)@$ssh_host

EOF
fi
# Until Ctrl-C, or until one of the three stops by itself.
set +e
wait -n "${pids[@]}"
echo "demo: a server stopped unexpectedly" >&2
fail "see the logs above"
