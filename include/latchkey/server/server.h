// FastCGI and CGI front ends. They turn the transport into (params, body), enforce the size
// caps, call the handler and write its Response. They know nothing about OAuth.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "latchkey/http/http.h"
#include "latchkey/util/log.h"
#include "latchkey/util/result.h"

namespace latchkey {

// Must not throw (the caller wraps it); called concurrently from worker threads.
using RequestHandler = std::function<Response(const ParamMap& params, std::string_view body)>;

struct ServerOptions {
  std::string listen;  // "unix:/path", "host:port", or empty for fd 0 / systemd
  int threads = 0;     // 0: 2 x cores
  mode_t socket_mode = 0660;
  std::string socket_group;
  // Called on SIGHUP from the signal thread (runtime.h reloads the configuration); unset:
  // SIGHUP is ignored.
  std::function<void()> on_reload;
};

// The number of FastCGI worker threads options asks for (threads, or 2 x cores).
int workerThreads(const ServerOptions& options);

// Opens the listening socket per options, or finds the inherited ones: every socket systemd
// passes (latchkey.socket may list several ListenStream= lines, e.g. a unix socket for nginx
// and 127.0.0.1:9000 for mod_authnz_fcgi), else fd 0. Error text is a one-line problem for
// the operator.
Result<std::vector<int>> openListenSockets(const ServerOptions& options);

// True when started as plain CGI: GATEWAY_INTERFACE set and fd 0 not a socket.
bool isCgiInvocation();

// Serves until SIGTERM/SIGINT: then stops accepting, finishes requests in flight, returns 0
// (1 if the listening socket failed first). SIGHUP calls options.on_reload; SIGPIPE is set to
// SIG_IGN.
// The signals are blocked in the calling thread and taken by a dedicated thread, so call
// this before starting any other thread (or block SIGTERM/SIGINT/SIGHUP in those threads).
// Each connection carries one request (FastCGI keep-conn is not honoured), and the listening
// socket is made non-blocking with 60 s send/receive timeouts inherited by connections.
int runFastCgi(const std::vector<int>& listen_fds, const ServerOptions& options,
               const RequestHandler& handler, const Logger& log);

// Answers the one request in the environment and stdin on stdout. Returns the exit code.
int runCgi(const RequestHandler& handler, const Logger& log);

// Applies the caps (kMaxParamsBytes -> 400, CONTENT_LENGTH > kMaxBodyBytes -> 413) and the
// catch-all for unexpected exceptions (500). Shared by FastCGI and CGI.
Response guardedHandle(const RequestHandler& handler, const ParamMap& params, std::string_view body,
                       const Logger& log);

}  // namespace latchkey
