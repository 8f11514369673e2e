#!/bin/sh
# latchkey-gate.cgi: a folder behind the sign-in on hosting that offers CGI and .htaccess only.
#
# Apache on shared hosting has no auth_request and runs no daemons for you, and an .htaccess
# rule that merely checks that *a* cookie named latchkey exists would let anybody in who sets
# one. So every request for the folder is rewritten (apache/htaccess-protect-folder) to this
# script, which
#   1. runs latchkey once as CGI on its /auth route: it verifies the session cookie (signature,
#      expiry, allowed_domains/allowed_emails, refresh when due) and answers 200/401/403;
#   2. on 200 sends the requested file (and a refreshed session cookie, if latchkey made one);
#      on 401 redirects to /login?rd=<this URL>; on 403 refuses; on anything else fails closed.
# The files stay where they are; the rewrite means no URL under the folder reaches them except
# through this script. If mod_rewrite is missing, the .htaccess is an error (500): closed too.
#
# Install: copy to public_html/latchkey/latchkey-gate.cgi (next to latchkey.cgi, see
# apache/htaccess-cgi), chmod 0755, CHANGE the paths below. It serves static files (GET/HEAD);
# file names with '%' or '?' are not supported.
LATCHKEY=/home/USER/latchkey/latchkey          # CHANGE: the binary
CONFIG=/home/USER/latchkey/latchkey.conf       # CHANGE: its configuration
PROTECTED_URL=/private                         # CHANGE: the folder's URL path
PROTECTED_DIR=/home/USER/public_html/private   # CHANGE: the same folder on disk
BASE_PATH=                                     # latchkey's base_path, if you set one

set -u

reply() {  # status line, text
  printf 'Status: %s\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n%s\n' "$1" "$2"
  exit 0
}

# A header of latchkey's CGI answer (case-insensitive name; first occurrence; no CR).
header() {
  printf '%s\n' "$verdict" | awk -v want="$1" '
    BEGIN { want = tolower(want) }
    { sub(/\r$/, "") }
    $0 == "" { exit }
    { i = index($0, ":"); if (i > 1 && tolower(substr($0, 1, i - 1)) == want) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }'
}

# 1. The verdict. DOCUMENT_URI selects latchkey's route (as nginx's auth_request does); the
#    rest of the CGI environment (HTTP_COOKIE, REMOTE_ADDR, REQUEST_URI) is the visitor's.
#    latchkey's log lines go to stderr, i.e. Apache's error log.
#    As CGI latchkey ignores its command line; LATCHKEY_CONFIG names the configuration.
verdict=$(DOCUMENT_URI="$BASE_PATH/auth" REQUEST_METHOD=GET CONTENT_LENGTH= CONTENT_TYPE= \
          LATCHKEY_CONFIG="$CONFIG" "$LATCHKEY" </dev/null)
status=$(header Status | cut -d' ' -f1)

case "$status" in
  200) ;;
  401)
    # Back to this page after sign-in. latchkey decodes rd once and honours only a local path;
    # escape what would end or split the parameter.
    rd=$(printf '%s' "${REQUEST_URI:-/}" | sed -e 's/%/%25/g' -e 's/&/%26/g' -e 's/+/%2B/g' \
         -e 's/#/%23/g' -e 's/;/%3B/g' -e 's/ /%20/g')
    printf 'Status: 302 Found\r\nLocation: %s/login?rd=%s\r\nCache-Control: no-store\r\n\r\n' "$BASE_PATH" "$rd"
    exit 0 ;;
  403) reply '403 Forbidden' 'You are signed in, but this account is not allowed here.' ;;
  *)   reply '502 Bad Gateway' 'The sign-in check failed; see the server error log.' ;;
esac

# 2. Signed in: which file? REDIRECT_URL is the decoded, normalised path Apache mapped before
#    the rewrite to this script. It must lie in the folder, and no part may start with a dot
#    (no .htaccess, no ..).
case "${REQUEST_METHOD:-GET}" in GET|HEAD) ;; *) reply '405 Method Not Allowed' 'Only GET and HEAD.' ;; esac
path=${REDIRECT_URL:-}
case "$path" in
  "$PROTECTED_URL"|"$PROTECTED_URL"/*) ;;
  *) reply '404 Not Found' 'Not found.' ;;
esac
rel=${path#"$PROTECTED_URL"}
case "$rel" in */.*) reply '404 Not Found' 'Not found.' ;; esac
file=$PROTECTED_DIR$rel
if [ -d "$file" ]; then
  case "$rel" in */) ;; *) printf 'Status: 301 Moved Permanently\r\nLocation: %s/\r\n\r\n' "$path"; exit 0 ;; esac
  file=${file}index.html
fi
[ -f "$file" ] && [ -r "$file" ] || reply '404 Not Found' 'Not found.'

case "$file" in
  *.html|*.htm) type='text/html; charset=utf-8' ;;
  *.txt|*.md)   type='text/plain; charset=utf-8' ;;
  *.css)  type='text/css' ;;
  *.js)   type='text/javascript' ;;
  *.json) type='application/json' ;;
  *.csv)  type='text/csv; charset=utf-8' ;;
  *.xml)  type='application/xml' ;;
  *.pdf)  type='application/pdf' ;;
  *.png)  type='image/png' ;;
  *.jpg|*.jpeg) type='image/jpeg' ;;
  *.gif)  type='image/gif' ;;
  *.svg)  type='image/svg+xml' ;;
  *.webp) type='image/webp' ;;
  *.zip)  type='application/zip' ;;
  *.mp4)  type='video/mp4' ;;
  *)      type='application/octet-stream' ;;
esac

cookie=$(header Set-Cookie)
printf 'Status: 200 OK\r\nContent-Type: %s\r\nContent-Length: %s\r\n' "$type" "$(wc -c <"$file" | tr -d ' ')"
printf 'Cache-Control: private, no-cache\r\nX-Content-Type-Options: nosniff\r\n'
[ -n "$cookie" ] && printf 'Set-Cookie: %s\r\n' "$cookie"
printf '\r\n'
[ "${REQUEST_METHOD:-GET}" = HEAD ] || exec cat "$file"
