// The FastCGI front end: a pool of worker threads accepting on the listening sockets (one, or
// each one systemd passed), and a signal thread that turns SIGTERM/SIGINT into a graceful stop.
//
// How a stop reaches idle workers: each worker waits in its own epoll set on the listening
// sockets and on a "stop" pipe, and the listening sockets are non-blocking, so a worker is
// never parked inside accept(). Writing one byte to the pipe wakes every idle worker at
// once. This is used instead of shutdown(listen_fd): the socket may be shared with systemd
// (socket activation), and shutting it down would break the next activation of the service.
//
// Each listening socket is in each set with EPOLLEXCLUSIVE, so a new connection wakes one
// idle worker, as a blocking accept() would, instead of all of them (with poll(), every
// connection woke every worker and all but one found nothing to accept).
//
// After a stop, each worker drains the listen backlog: connections the kernel already
// completed were sent by nginx in good faith and would otherwise be reset (a 502 for the
// visitor). Draining ends when the backlog is empty or after kDrainLimit under load.
#include <fastcgi.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "latchkey/server/server.h"
#include "latchkey/util/metrics.h"
#include "server/request_guard.h"
#include "util/unique_fd.h"

namespace latchkey {
namespace {

// A connection that stalls mid-request must not hold a worker forever. Accepted sockets
// inherit these from the listening socket on Linux. nginx's own fastcgi_*_timeout is 60 s.
constexpr time_t kConnectionTimeoutSeconds = 60;

// How long stopping workers keep taking connections already queued at the socket.
constexpr std::chrono::seconds kDrainLimit{5};

// Owns one FCGX_Request; FCGX_Free closes a connection left open.
class FcgiRequest {
 public:
  explicit FcgiRequest(int listen_fd) { FCGX_InitRequest(&request_, listen_fd, 0); }
  ~FcgiRequest() { FCGX_Free(&request_, 1); }
  FcgiRequest(const FcgiRequest&) = delete;
  FcgiRequest& operator=(const FcgiRequest&) = delete;
  FCGX_Request* get() { return &request_; }

 private:
  FCGX_Request request_{};
};

// Blocks the shutdown signals in the calling thread (and so in every thread it starts)
// and restores the previous mask on destruction.
class SignalMask {
 public:
  SignalMask() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  }
  ~SignalMask() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  SignalMask(const SignalMask&) = delete;
  SignalMask& operator=(const SignalMask&) = delete;
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_{};
  sigset_t previous_{};
};

struct Shared {
  const std::vector<int>& listen_fds;
  const RequestHandler& handler;
  const Logger& log;
  const std::function<void()>& on_reload;
  UniqueFd stop_read;
  UniqueFd stop_write;
  std::atomic<bool> stopping{false};
  std::atomic<bool> signalled{false};
};

void requestStop(Shared& shared) {
  if (shared.stopping.exchange(true)) {
    return;
  }
  // No FCGX_ShutdownPending(): no worker ever blocks in accept(), and the flag would make
  // libfcgi's accept loop give up during the drain.
  const char byte = 's';
  // The pipe is never drained: it stays readable, so every worker's epoll_wait() sees the stop.
  while (::write(shared.stop_write.get(), &byte, 1) < 0 && errno == EINTR) {
  }
}

void signalLoop(Shared& shared, const sigset_t& set) {
  const timespec tick{0, 200'000'000};
  while (!shared.stopping.load()) {
    const int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      shared.log.log(LogLevel::kInfo, "stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
      shared.signalled = true;
      requestStop(shared);
    } else if (sig == SIGHUP) {
      if (shared.on_reload) {
        shared.on_reload();  // here, off the workers: requests go on meanwhile
      } else {
        shared.log.log(LogLevel::kInfo, "sighup_ignored", {});
      }
    }
  }
}

ParamMap readParams(const FCGX_Request& request) {
  ParamMap params;
  for (char** entry = request.envp; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view pair(*entry);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      params.emplace(pair.substr(0, eq), pair.substr(eq + 1));
    }
  }
  return params;
}

std::string readBody(FCGX_Request& request, size_t length) {
  std::string body(length, '\0');
  size_t got = 0;
  while (got < length) {
    const int n = FCGX_GetStr(body.data() + got, static_cast<int>(length - got), request.in);
    if (n <= 0) {
      break;  // a short body is caught by guardedHandle
    }
    got += static_cast<size_t>(n);
  }
  body.resize(got);
  return body;
}

// True when a responder's input is at its end: the body has been read and the next thing in
// the stream is its end (every web server sends it right after the params or the body).
// Then nothing more will come, and the connection can be closed at once. Otherwise (a
// refused body left unread, a client still sending) libfcgi's lingering close is kept:
// shutdown, then poll and read until the peer closes, so unread input cannot turn the close
// into a reset; that linger holds the worker for a round trip with the web server. An
// authorizer (mod_authnz_fcgi) gets no input stream at all, so it is not read for.
//
// The look never waits: the socket is non-blocking for it, so a client that has not sent
// the end yet (or never will) is answered at once and simply keeps the linger.
bool inputAtEnd(FCGX_Request& request) {
  if (request.role != FCGI_RESPONDER) {
    return false;
  }
  const int fd = request.ipcFd;
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return false;
  }
  char next = 0;
  const bool at_end = FCGX_GetStr(&next, 1, request.in) == 0 &&
                      FCGX_HasSeenEOF(request.in) == EOF && FCGX_GetError(request.in) == 0;
  ::fcntl(fd, F_SETFL, flags);  // the answer is written blocking, as before
  return at_end;
}

void serveOne(FCGX_Request& request, Shared& shared) {
  const ParamMap params = readParams(request);
  const std::string body = readBody(request, bodyBytesToRead(params));
  // A detached request is closed by FCGX_Free without the linger.
  request.detached = inputAtEnd(request) ? 1 : 0;
  const Response response = guardedHandle(shared.handler, params, body, shared.log);
  const std::string out = serializeResponse(response);
  if (FCGX_PutStr(out.data(), static_cast<int>(out.size()), request.out) < 0) {
    shared.log.log(LogLevel::kDebug, "response_write_failed", {});
  }
}

// Errors after which the listening socket is unusable; anything else (EMFILE, ENOBUFS, a
// connection that vanished) is waited out.
bool isPermanentAcceptError(int err) {
  return err == EBADF || err == ENOTSOCK || err == EINVAL;
}

// Serves one accepted connection. One request per connection: a kept-open idle connection
// would park this worker in a blocking read that no stop can interrupt. Closing is always
// allowed (FastCGI §3.5).
void serveConnection(FcgiRequest& request, Shared& shared) {
  request.get()->keepConnection = 0;
  const BusyWorker busy;
  serveOne(*request.get(), shared);
  FCGX_Finish_r(request.get());
}

// Answers the connections still queued at the sockets when the stop came. The sockets are
// non-blocking, so accept fails with EAGAIN as soon as a backlog is empty.
void drainBacklog(std::deque<FcgiRequest>& requests, Shared& shared) {
  const auto deadline = std::chrono::steady_clock::now() + kDrainLimit;
  for (FcgiRequest& request : requests) {
    while (std::chrono::steady_clock::now() < deadline) {
      if (FCGX_Accept_r(request.get()) < 0) {
        break;
      }
      serveConnection(request, shared);
    }
  }
}

// One worker's epoll set: the listening sockets (exclusive wake-up) and the stop pipe. An
// event's data is the socket's index in Shared::listen_fds, or kStopIndex for the pipe.
class AcceptWaiter {
 public:
  static constexpr uint32_t kStopIndex = UINT32_MAX;

  explicit AcceptWaiter(const Shared& shared) : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    ok_ = epoll_.valid() && add(shared.stop_read.get(), EPOLLIN, kStopIndex);
    for (size_t i = 0; ok_ && i < shared.listen_fds.size(); ++i) {
      ok_ = add(shared.listen_fds[i], EPOLLIN | EPOLLEXCLUSIVE, static_cast<uint32_t>(i));
    }
  }
  bool ok() const { return ok_; }

  enum class Wake { kConnection, kStop, kError };
  struct Woken {
    Wake wake;
    size_t socket_index;  // for kConnection
  };
  Woken wait() const {
    epoll_event events[8];
    for (;;) {
      const int n = ::epoll_wait(epoll_.get(), events, 8, -1);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return {Wake::kError, 0};
      }
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u32 == kStopIndex) {
          return {Wake::kStop, 0};
        }
      }
      return {Wake::kConnection, events[0].data.u32};
    }
  }

 private:
  bool add(int fd, uint32_t events, uint32_t index) {
    epoll_event event{};
    event.events = events;
    event.data.u32 = index;
    return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) == 0;
  }

  UniqueFd epoll_;
  bool ok_ = false;
};

void workerLoop(Shared& shared) {
  // One request object per socket: libfcgi binds a request to the socket it accepts on.
  std::deque<FcgiRequest> requests;
  for (const int fd : shared.listen_fds) {
    requests.emplace_back(fd);
  }
  const AcceptWaiter waiter(shared);
  if (!waiter.ok()) {
    shared.log.log(LogLevel::kError, "epoll_failed", {{"error", std::strerror(errno)}});
    return;
  }
  while (!shared.stopping.load()) {
    const AcceptWaiter::Woken woken = waiter.wait();
    if (woken.wake == AcceptWaiter::Wake::kStop) {
      break;
    }
    if (woken.wake == AcceptWaiter::Wake::kError) {
      shared.log.log(LogLevel::kError, "epoll_failed", {{"error", std::strerror(errno)}});
      break;
    }
    FcgiRequest& request = requests[woken.socket_index];
    const int rc = FCGX_Accept_r(request.get());
    if (rc < 0) {
      const int err = -rc;
      if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
        continue;  // another worker took the connection
      }
      if (shared.stopping.load()) {
        break;
      }
      shared.log.log(LogLevel::kError, "accept_failed", {{"error", std::strerror(err)}});
      if (isPermanentAcceptError(err)) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    serveConnection(request, shared);
  }
  if (shared.stopping.load()) {
    drainBacklog(requests, shared);
  }
}

bool prepareListenSocket(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return false;
  }
  const timeval timeout{kConnectionTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return true;
}

}  // namespace

int workerThreads(const ServerOptions& options) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return options.threads > 0 ? options.threads : static_cast<int>(2 * cores);
}

int runFastCgi(const std::vector<int>& listen_fds, const ServerOptions& options,
               const RequestHandler& handler, const Logger& log) {
  // A peer that hangs up mid-response must cost one request, not the process.
  ::signal(SIGPIPE, SIG_IGN);
  if (FCGX_Init() != 0 || listen_fds.empty() ||
      !std::all_of(listen_fds.begin(), listen_fds.end(), prepareListenSocket)) {
    log.log(LogLevel::kError, "fastcgi_init_failed", {{"error", std::strerror(errno)}});
    return 1;
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    log.log(LogLevel::kError, "fastcgi_init_failed", {{"error", std::strerror(errno)}});
    return 1;
  }
  Shared shared{listen_fds,           handler, log, options.on_reload, UniqueFd(pipe_fds[0]),
                UniqueFd(pipe_fds[1])};

  const int threads = workerThreads(options);
  metrics().setWorkers(threads);
  const SignalMask mask;  // before any thread starts, so all of them inherit it
  std::thread signal_thread(signalLoop, std::ref(shared), std::cref(mask.set()));
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back(workerLoop, std::ref(shared));
  }
  log.log(LogLevel::kInfo, "listening",
          {{"listen", options.listen.empty() ? "inherited" : options.listen},
           {"sockets", std::to_string(listen_fds.size())},
           {"threads", std::to_string(threads)}});

  for (auto& worker : workers) {
    worker.join();
  }
  requestStop(shared);  // workers may also end on a dead socket; release the signal thread
  signal_thread.join();
  const bool clean = shared.signalled.load();
  log.log(clean ? LogLevel::kInfo : LogLevel::kError, "stopped",
          {{"reason", clean ? "signal" : "listening socket failed"}});
  return clean ? 0 : 1;
}

}  // namespace latchkey
