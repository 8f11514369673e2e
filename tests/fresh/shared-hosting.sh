#!/usr/bin/env bash
# Shared hosting without suexec, measured: two tenants (two ordinary users) on one Apache whose
# CGI programs all run as www-data. For each layout tenant A can make without root, does
# latchkey (A's CGI) start, and can tenant B read A's secrets from a shell, or from a CGI
# program of B's own? Prints one line per layout; fails when a measured fact differs from what
# README.md ("Shared hosting: what other tenants can read") says.
# Usage (root, a few seconds): tests/fresh/shared-hosting.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then echo "shared-hosting: skipped, needs root (it creates two users)"; exit 0; fi
for tool in apache2 setfacl curl runuser; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "shared-hosting: $tool missing (tools/deps.sh)" >&2; exit 1; }
done
binary=$root/build/latchkey
[[ -x $binary ]] || { echo "shared-hosting: $binary missing: make" >&2; exit 1; }

a=latchkey-tenant-a b=latchkey-tenant-b
for u in "$a" "$b"; do
  id "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$u"
done
home_a=$(getent passwd "$a" | cut -d: -f6) home_b=$(getent passwd "$b" | cut -d: -f6)
work=$(mktemp -d /tmp/latchkey-shared-XXXXXX)
chmod 0755 "$work"
apache_pid=
cleanup() {
  [[ -n $apache_pid ]] && kill "$apache_pid" 2>/dev/null && wait "$apache_pid" 2>/dev/null
  rm -rf "$work" "$home_a/public_html" "$home_a/latchkey" "$home_b/public_html"
}
trap cleanup EXIT

# The usual shared-hosting home: others may pass through (0711) to the 0755 public_html.
as() { local u=$1; shift; runuser -u "$u" -- "$@"; }
for h in "$home_a" "$home_b"; do chmod 0711 "$h"; done
as "$a" mkdir -p "$home_a/public_html" "$home_a/latchkey"
as "$b" mkdir -p "$home_b/public_html"
as "$a" chmod 0755 "$home_a/public_html"
as "$b" chmod 0755 "$home_b/public_html"
cp "$binary" "$home_a/latchkey/latchkey" && chown "$a:" "$home_a/latchkey/latchkey" && chmod 0755 "$home_a/latchkey/latchkey"

secret=$(head -c 32 /dev/urandom | base64)
conf=$home_a/latchkey/latchkey.conf
settings="issuer = http://127.0.0.1:9/
client_id = tenant-a
redirect_uri = http://127.0.0.1/login/authorized"
# A's CGI wrapper: latchkey's /healthz (200 "ok" only once the configuration loaded).
as "$a" sh -c "printf '#!/bin/sh\nLATCHKEY_CONFIG=$conf DOCUMENT_URI=/healthz exec $home_a/latchkey/latchkey\n' > '$home_a/public_html/latchkey.cgi'; chmod 0755 '$home_a/public_html/latchkey.cgi'"
# B's CGI program: prints whatever file it is asked for (as www-data, like any tenant's PHP).
as "$b" sh -c "printf '#!/bin/sh\nprintf \"Content-Type: text/plain\\\\n\\\\n\"\ncat \"\$QUERY_STRING\" 2>&1\n' > '$home_b/public_html/read.cgi'; chmod 0755 '$home_b/public_html/read.cgi'"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mods=/usr/lib/apache2/modules
cat > "$work/httpd.conf" <<CONF
ServerRoot $work
ServerName 127.0.0.1
Listen 127.0.0.1:$port
$(for m in mpm_event authz_core mime alias env cgid; do echo "LoadModule ${m}_module $mods/mod_$m.so"; done)
PidFile $work/httpd.pid
DefaultRuntimeDir $work
Mutex file:$work default
ScriptSock $work/cgid.sock
ErrorLog $work/error.log
User www-data
Group www-data
TypesConfig /etc/mime.types
Alias /a/ $home_a/public_html/
Alias /b/ $home_b/public_html/
<Directory /home>
    AllowOverride All
    Options +ExecCGI
    AddHandler cgi-script .cgi
    Require all granted
</Directory>
CONF
apache2 -f "$work/httpd.conf" -DFOREGROUND & apache_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

status() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$1"; }
yes_no() { if "$@"; then echo yes; else echo no; fi; }
b_shell_reads() { as "$b" cat "$1" 2>/dev/null | grep -qF "$secret"; }
b_cgi_reads() { curl -s "http://127.0.0.1:$port/b/read.cgi?$1" | grep -qF "$secret"; }
starts() { [[ $(status /a/latchkey.cgi) == 200 ]]; }

failures=0
report() {  # layout, starts, shell, cgi, expected "starts shell cgi"
  local got="$2 $3 $4"
  printf '%-44s latchkey starts: %-3s  B shell reads: %-3s  B CGI reads: %-3s\n' "$1" "$2" "$3" "$4"
  [[ $got == "$5" ]] || { echo "shared-hosting: $1: measured '$got', README says '$5'" >&2; failures=$((failures + 1)); }
}
reset_layout() {
  rm -f "$conf" "$home_a/public_html/.htaccess"
  setfacl -b "$home_a/latchkey" 2>/dev/null || true
  chmod 0755 "$home_a/latchkey"
}

# 1. The configuration world-readable (what the web server needs without suexec).
reset_layout
as "$a" sh -c "umask 022; printf '%s\ncookie_secret = %s\nclient_secret = x\n' '$settings' '$secret' > '$conf'"
report "1. latchkey.conf 0644" "$(yes_no starts)" "$(yes_no b_shell_reads "$conf")" "$(yes_no b_cgi_reads "$conf")" "yes yes yes"

# 2. 0640 with the web server's group: chgrp to a group one is not in needs root.
chgrp_ok=$(yes_no as "$a" chgrp www-data "$conf" 2>/dev/null)
echo "2. latchkey.conf 0640 root:www-data         chgrp www-data as the tenant: $chgrp_ok (needs root)"
[[ $chgrp_ok == no ]] || { echo "shared-hosting: a tenant could chgrp to www-data" >&2; failures=$((failures + 1)); }

# 3. Secrets only in SetEnv of public_html/.htaccess, the file without them: Apache must read
#    the .htaccess as www-data, so 0600 closes the site and 0644 opens it to everybody.
reset_layout
as "$a" sh -c "umask 022; printf '%s\n' '$settings' > '$conf'"
htaccess=$home_a/public_html/.htaccess
as "$a" sh -c "umask 077; printf 'SetEnv LATCHKEY_COOKIE_SECRET %s\nSetEnv LATCHKEY_CLIENT_SECRET x\n' '$secret' > '$htaccess'"
report "3a. SetEnv in .htaccess 0600" "$(yes_no starts)" "$(yes_no b_shell_reads "$htaccess")" "$(yes_no b_cgi_reads "$htaccess")" "no no no"
as "$a" chmod 0644 "$htaccess"
report "3b. SetEnv in .htaccess 0644" "$(yes_no starts)" "$(yes_no b_shell_reads "$htaccess")" "$(yes_no b_cgi_reads "$htaccess")" "yes yes yes"

# 4. The safest without root: 0600 plus an ACL entry for www-data alone (setfacl needs no root
#    on one's own files), in a 0700 directory that www-data may only pass through.
reset_layout
as "$a" sh -c "umask 077; printf '%s\ncookie_secret = %s\nclient_secret = x\n' '$settings' '$secret' > '$conf'"
as "$a" chmod 0700 "$home_a/latchkey"
as "$a" setfacl -m u:www-data:x "$home_a/latchkey"
as "$a" setfacl -m u:www-data:r "$conf"
report "4. latchkey.conf 0600 + ACL u:www-data:r" "$(yes_no starts)" "$(yes_no b_shell_reads "$conf")" "$(yes_no b_cgi_reads "$conf")" "yes no yes"

((failures == 0)) || exit 1
echo "shared-hosting: as the README says: without suexec, whatever latchkey can read, every tenant's CGI or PHP can read"
