// Finding the FastCGI listening socket: a unix path, a TCP address, systemd socket
// activation, or the FastCGI convention of a listening socket on fd 0.
#include "server/listen_socket.h"

#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latchkey/server/server.h"
#include "util/unique_fd.h"

namespace latchkey {
namespace {

constexpr int kBacklog = 1024;
constexpr int kSystemdFirstFd = 3;  // sd_listen_fds(3): SD_LISTEN_FDS_START
// More ListenStream= lines than any recipe needs; a larger LISTEN_FDS is not taken as ours.
constexpr int kMaxInheritedSockets = 16;
constexpr std::string_view kUnixPrefix = "unix:";

Error listenError(const std::string& what) {
  return makeError(Errc::kInternal, what);
}

std::string errnoText(int err) {
  return std::strerror(err);
}

bool isSocket(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

// A socket file nobody accepts on is left over from a crash and may be replaced; a live one
// belongs to another running instance, and anything that is not a socket is not ours.
Status removeStaleUnixSocket(const std::string& path, const sockaddr_un& address) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return {};
    }
    return listenError("cannot inspect " + path + ": " + errnoText(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return listenError(path + " exists and is not a socket; refusing to replace it");
  }
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe.valid() &&
      ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return listenError(
        path + " is in use by another running process; stop it or pick another --listen path");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return listenError("cannot remove stale socket " + path + ": " + errnoText(errno));
  }
  return {};
}

Result<int> openUnixSocket(const std::string& path, const ServerOptions& options) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) {
    return listenError("--listen unix: path is empty or longer than " +
                       std::to_string(sizeof address.sun_path - 1) + " bytes");
  }
  std::memcpy(address.sun_path, path.data(), path.size());

  gid_t group_id = static_cast<gid_t>(-1);
  if (!options.socket_group.empty()) {
    // getgrnam is not reentrant, but this runs once at start-up before any thread exists.
    const struct group* entry =
        ::getgrnam(options.socket_group.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (entry == nullptr) {
      return listenError("--socket-group " + options.socket_group + ": no such group");
    }
    group_id = entry->gr_gid;
  }
  if (Status removed = removeStaleUnixSocket(path, address); !removed) {
    return removed.error();
  }

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return listenError("cannot create a unix socket: " + errnoText(errno));
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return listenError("cannot bind " + path + ": " + errnoText(errno));
  }
  // Mode and group are set before listen(), so no client ever connects under the umask's
  // mode. nginx's worker user needs write permission, else a 502 "Permission denied".
  if (::chmod(path.c_str(), options.socket_mode) != 0) {
    return listenError("cannot chmod " + path + ": " + errnoText(errno));
  }
  if (group_id != static_cast<gid_t>(-1) &&
      ::chown(path.c_str(), static_cast<uid_t>(-1), group_id) != 0) {
    return listenError("cannot give " + path + " to group " + options.socket_group + ": " +
                       errnoText(errno));
  }
  if (::listen(fd.get(), kBacklog) != 0) {
    return listenError("cannot listen on " + path + ": " + errnoText(errno));
  }
  return fd.release();
}

Result<int> openTcpSocket(const std::string& spec) {
  std::string host;
  std::string port;
  const std::string usage = "--listen " + spec + ": expected HOST:PORT, [IPv6]:PORT or unix:/path";
  if (!spec.empty() && spec.front() == '[') {
    const size_t close = spec.find("]:");
    if (close == std::string::npos) {
      return listenError(usage);
    }
    host = spec.substr(1, close - 1);
    port = spec.substr(close + 2);
  } else {
    const size_t colon = spec.rfind(':');
    if (colon == std::string::npos || spec.find(':') != colon) {
      return listenError(usage);
    }
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
  }
  unsigned port_number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || port_number == 0 ||
      port_number > 65535) {
    return listenError(usage);
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &raw); rc != 0) {
    return listenError("--listen " + spec + ": cannot resolve " + host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(raw, &::freeaddrinfo);
  std::string last_error = "no address";
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last_error = errnoText(errno);
      continue;
    }
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), kBacklog) != 0) {
      last_error = errnoText(errno);
      continue;
    }
    return fd.release();
  }
  return listenError("cannot listen on " + spec + ": " + last_error);
}

// sd_listen_fds(3) without libsystemd: the fds are ours only if LISTEN_PID names us.
std::optional<int> systemdSocketCount() {
  const char* pid = ::getenv("LISTEN_PID");  // NOLINT(concurrency-mt-unsafe)
  const char* fds = ::getenv("LISTEN_FDS");  // NOLINT(concurrency-mt-unsafe)
  if (pid == nullptr || fds == nullptr) {
    return std::nullopt;
  }
  long listen_pid = 0;
  int listen_fds = 0;
  const std::string_view pid_text(pid);
  const std::string_view fds_text(fds);
  if (std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), listen_pid).ec !=
          std::errc() ||
      std::from_chars(fds_text.data(), fds_text.data() + fds_text.size(), listen_fds).ec !=
          std::errc() ||
      listen_pid != static_cast<long>(::getpid()) || listen_fds < 1 ||
      listen_fds > kMaxInheritedSockets) {
    return std::nullopt;
  }
  // Children (none today) must not think the sockets are theirs.
  ::unsetenv("LISTEN_PID");      // NOLINT(concurrency-mt-unsafe)
  ::unsetenv("LISTEN_FDS");      // NOLINT(concurrency-mt-unsafe)
  ::unsetenv("LISTEN_FDNAMES");  // NOLINT(concurrency-mt-unsafe)
  return listen_fds;
}

}  // namespace

bool isListeningStreamSocket(int fd) {
  int type = 0;
  int listening = 0;
  socklen_t len = sizeof type;
  socklen_t len2 = sizeof listening;
  return isSocket(fd) && ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
         type == SOCK_STREAM &&
         ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len2) == 0 && listening != 0;
}

Result<std::vector<int>> openListenSockets(const ServerOptions& options) {
  const std::string& spec = options.listen;
  if (!spec.empty()) {
    auto fd = spec.starts_with(kUnixPrefix)
                  ? openUnixSocket(spec.substr(kUnixPrefix.size()), options)
                  : openTcpSocket(spec);
    if (!fd) {
      return fd.error();
    }
    return std::vector<int>{*fd};
  }
  if (auto count = systemdSocketCount()) {
    std::vector<int> fds;
    for (int fd = kSystemdFirstFd; fd < kSystemdFirstFd + *count; ++fd) {
      if (!isListeningStreamSocket(fd)) {
        return listenError("systemd passed fd " + std::to_string(fd) +
                           ", but it is not a listening stream socket");
      }
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      fds.push_back(fd);
    }
    return fds;
  }
  // FastCGI convention (spawn-fcgi, mod_fcgid): the listening socket is fd 0.
  if (isListeningStreamSocket(STDIN_FILENO)) {
    return std::vector<int>{STDIN_FILENO};
  }
  return listenError(
      "no listening socket: pass --listen unix:/run/latchkey.sock or --listen 127.0.0.1:9000 "
      "(or start under spawn-fcgi / systemd socket activation)");
}

}  // namespace latchkey
