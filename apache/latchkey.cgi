#!/bin/sh
# latchkey as a plain CGI program (shared hosting): this wrapper only adds the configuration.
# Copy to public_html/latchkey/latchkey.cgi, chmod 0755, CHANGE the two paths.
# See apache/htaccess-cgi.
LATCHKEY=/home/USER/latchkey/latchkey          # CHANGE
CONFIG=/home/USER/latchkey/latchkey.conf       # CHANGE

# In CGI mode latchkey ignores its command line (a query string without '=' becomes
# arguments, RFC 3875 §4.4): the configuration is named by LATCHKEY_CONFIG.
LATCHKEY_CONFIG=$CONFIG
export LATCHKEY_CONFIG

# Apache's mod_cgid (the default with the event and worker MPMs) connects a CGI program's stdin
# to a unix socket rather than a pipe. Hand latchkey the request body (if any) through a pipe,
# and /dev/null otherwise, so it always sees the plain-CGI situation whatever the CGI module.
case "${CONTENT_LENGTH:-0}" in
  ''|0) exec "$LATCHKEY" </dev/null ;;
  *[!0-9]*) printf 'Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nbad Content-Length\n'; exit 0 ;;
  *) head -c "$CONTENT_LENGTH" | "$LATCHKEY"; exit $? ;;
esac
