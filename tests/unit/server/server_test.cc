// The front ends: listening sockets, the size caps and exception barrier, plain CGI, and the
// FastCGI server end to end (a tiny FastCGI client below talks to a forked server).
#include "latchkey/server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace latchkey {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

int connectUnix(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  const timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// Waits up to `seconds` for the child; kills it on timeout. Returns the wait status or -1.
int waitForChild(pid_t pid, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------- openListenSockets

// The one socket that --listen opens.
Result<int> openListenSocket(const ServerOptions& options) {
  auto fds = openListenSockets(options);
  if (!fds) {
    return fds.error();
  }
  EXPECT_EQ(fds->size(), 1u);
  return fds->front();
}

ServerOptions unixOptions(const TempDir& dir, const std::string& name = "s.sock") {
  ServerOptions options;
  options.listen = "unix:" + dir.file(name);
  return options;
}

mode_t fileMode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  EXPECT_TRUE(S_ISSOCK(st.st_mode)) << path;
  return st.st_mode & 07777;
}

bool acceptsConnections(const std::string& path) {
  const int client = connectUnix(path);
  ::close(client);
  return client >= 0;
}

// A unix socket is created with mode 0660 by default, and listens.
TEST(OpenListenSocket, UnixSocketGetsDefaultMode0660) {
  TempDir dir;
  auto fd = openListenSocket(unixOptions(dir));
  ASSERT_TRUE(fd) << fd.error().detail;
  EXPECT_EQ(fileMode(dir.file("s.sock")), 0660u);
  EXPECT_TRUE(::fcntl(*fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(acceptsConnections(dir.file("s.sock")));
  ::close(*fd);
}

// --socket-mode is applied as given.
TEST(OpenListenSocket, UnixSocketModeIsConfigurable) {
  TempDir dir;
  ServerOptions options = unixOptions(dir);
  options.socket_mode = 0600;
  auto fd = openListenSocket(options);
  ASSERT_TRUE(fd) << fd.error().detail;
  EXPECT_EQ(fileMode(dir.file("s.sock")), 0600u);
  ::close(*fd);
}

// A socket file left by a crashed instance is replaced.
TEST(OpenListenSocket, ReplacesStaleSocket) {
  TempDir dir;
  auto first = openListenSocket(unixOptions(dir));
  ASSERT_TRUE(first);
  ::close(*first);  // the file stays behind, nobody accepts on it
  ASSERT_TRUE(fs::exists(dir.file("s.sock")));
  auto second = openListenSocket(unixOptions(dir));
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_TRUE(acceptsConnections(dir.file("s.sock")));
  ::close(*second);
}

// A socket another live process accepts on is not stolen.
TEST(OpenListenSocket, RefusesLiveSocket) {
  TempDir dir;
  auto first = openListenSocket(unixOptions(dir));
  ASSERT_TRUE(first);
  auto second = openListenSocket(unixOptions(dir));
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().detail.find("in use"), std::string::npos);
  ::close(*first);
}

// A regular file at the path is never deleted.
TEST(OpenListenSocket, RefusesRegularFile) {
  TempDir dir;
  std::ofstream(dir.file("data")) << "precious";
  auto fd = openListenSocket(unixOptions(dir, "data"));
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code, Errc::kInternal);
  EXPECT_NE(fd.error().detail.find("not a socket"), std::string::npos);
  EXPECT_EQ(readFile(dir.file("data")), "precious");
}

// --socket-group gives the socket file to that group (here: our own primary group).
TEST(OpenListenSocket, UnixSocketGroupIsApplied) {
  const struct group* own = ::getgrgid(::getgid());
  ASSERT_NE(own, nullptr);
  TempDir dir;
  ServerOptions options = unixOptions(dir);
  options.socket_group = own->gr_name;
  auto fd = openListenSocket(options);
  ASSERT_TRUE(fd) << fd.error().detail;
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("s.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, ::getgid());
  ::close(*fd);
}

// An unknown --socket-group is a start-up error, before anything is created.
TEST(OpenListenSocket, RefusesUnknownGroup) {
  TempDir dir;
  ServerOptions options = unixOptions(dir);
  options.socket_group = "no-such-group-latchkey";
  auto fd = openListenSocket(options);
  ASSERT_FALSE(fd);
  EXPECT_NE(fd.error().detail.find("no-such-group-latchkey"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.file("s.sock")));
}

// HOST:PORT and [::1]:PORT listen on TCP; malformed addresses are refused.
TEST(OpenListenSocket, TcpAddresses) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  EXPECT_FALSE(openListenSocket(options));  // port 0 is not a real address to give nginx
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:http", ":9000", "1:2:3",
                          "[::1]9000", "127.0.0.1:70000"}) {
    options.listen = bad;
    EXPECT_FALSE(openListenSocket(options)) << bad;
  }
  // Find a free port, then listen on it through openListenSocket.
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t len = sizeof address;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &len);
  ::close(probe);
  options.listen = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  auto fd = openListenSocket(options);
  ASSERT_TRUE(fd) << fd.error().detail;
  ::close(*fd);
}

// Without --listen, systemd's fd 3 is used when LISTEN_PID names us, and the variables
// are removed; otherwise the operator is told to pass --listen.
TEST(OpenListenSocket, InheritedSockets) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, STDIN_FILENO);
    ServerOptions options;
    auto none = openListenSocket(options);
    if (none || none.error().detail.find("--listen") == std::string::npos) {
      ::_exit(10);
    }
    TempDir dir;
    auto fd = openListenSocket(unixOptions(dir));
    if (!fd || ::dup2(*fd, 3) != 3) {
      ::_exit(11);
    }
    options.listen.clear();
    ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    auto not_ours = openListenSocket(options);
    if (not_ours) {
      ::_exit(12);
    }
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    auto systemd = openListenSocket(options);
    if (!systemd || *systemd != 3 || ::getenv("LISTEN_PID") != nullptr ||
        ::getenv("LISTEN_FDS") != nullptr) {
      ::_exit(13);
    }
    ::dup2(3, STDIN_FILENO);  // spawn-fcgi style
    auto fd0 = openListenSocket(options);
    if (!fd0 || *fd0 != 0) {
      ::_exit(14);
    }
    ::_exit(0);
  }
  const int status = waitForChild(pid, 10);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// CGI is detected by GATEWAY_INTERFACE with a non-socket stdin only.
// A connected socket on stdin (Apache mod_cgid) is still CGI; only a listening one is FastCGI.
TEST(IsCgiInvocation, NeedsGatewayInterfaceAndNoListeningSocketOnStdin) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, STDIN_FILENO);
    ::unsetenv("GATEWAY_INTERFACE");
    if (isCgiInvocation()) {
      ::_exit(10);
    }
    ::setenv("GATEWAY_INTERFACE", "CGI/1.1", 1);
    if (!isCgiInvocation()) {
      ::_exit(11);
    }
    int pair[2];
    ::socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
    ::dup2(pair[0], STDIN_FILENO);
    if (!isCgiInvocation()) {
      ::_exit(12);
    }
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // NOLINT
    ::listen(listener, 1);
    ::dup2(listener, STDIN_FILENO);
    ::_exit(isCgiInvocation() ? 13 : 0);
  }
  const int status = waitForChild(pid, 10);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// ---------------------------------------------------------------- guardedHandle

const Logger kQuietLog(LogLevel::kError);

Response echoHandler(const ParamMap& params, std::string_view body) {
  Response response;
  auto it = params.find("DOCUMENT_URI");
  response.body = (it == params.end() ? std::string("?") : it->second) + "|" + std::string(body);
  return response;
}

// A normal request reaches the handler with its params and body.
TEST(GuardedHandle, PassesNormalRequestsThrough) {
  const ParamMap params{{"DOCUMENT_URI", "/x"}, {"CONTENT_LENGTH", "3"}};
  const Response response = guardedHandle(echoHandler, params, "abc", kQuietLog);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "/x|abc");
}

// Params over kMaxParamsBytes are answered 400 without calling the handler.
TEST(GuardedHandle, OversizeParamsAre400) {
  bool called = false;
  const RequestHandler handler = [&](const ParamMap&, std::string_view) {
    called = true;
    return Response{};
  };
  const ParamMap params{{"HTTP_COOKIE", std::string(kMaxParamsBytes, 'a')}};
  EXPECT_EQ(guardedHandle(handler, params, "", kQuietLog).status, 400);
  EXPECT_FALSE(called);
}

// A declared body over kMaxBodyBytes is 413; a malformed or unmet length is 400.
TEST(GuardedHandle, BodyLengthChecks) {
  EXPECT_EQ(guardedHandle(echoHandler, {{"CONTENT_LENGTH", std::to_string(kMaxBodyBytes + 1)}}, "",
                          kQuietLog)
                .status,
            413);
  EXPECT_EQ(
      guardedHandle(echoHandler, {{"CONTENT_LENGTH", "99999999999999999999999"}}, "", kQuietLog)
          .status,
      400);
  for (const char* bad : {"-1", "12abc", " 3", "0x10"}) {
    EXPECT_EQ(guardedHandle(echoHandler, {{"CONTENT_LENGTH", bad}}, "abc", kQuietLog).status, 400)
        << bad;
  }
  EXPECT_EQ(guardedHandle(echoHandler, {{"CONTENT_LENGTH", "10"}}, "abc", kQuietLog).status, 400);
  EXPECT_EQ(guardedHandle(echoHandler, {{"CONTENT_LENGTH", ""}}, "", kQuietLog).status, 200);
}

// Exceptions escaping a handler become a plain 500, never a crash.
TEST(GuardedHandle, ExceptionsBecome500) {
  const RequestHandler throws_std = [](const ParamMap&, std::string_view) -> Response {
    throw std::runtime_error("boom");
  };
  const RequestHandler throws_int = [](const ParamMap&, std::string_view) -> Response { throw 42; };
  for (const auto* handler : {&throws_std, &throws_int}) {
    const Response response = guardedHandle(*handler, {}, "", Logger(LogLevel::kError));
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.header("Content-Type"), "text/plain; charset=utf-8");
  }
}

// ---------------------------------------------------------------- runCgi

// Plain CGI: environment + stdin in, "Status:" response on stdout, exit code 0; variables
// that are not CGI meta-variables (secrets in the environment) never reach the handler.
TEST(RunCgi, AnswersOneRequestFromEnvironmentAndStdin) {
  int in[2];
  int out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::close(in[1]);
    ::close(out[0]);
    ::setenv("GATEWAY_INTERFACE", "CGI/1.1", 1);
    ::setenv("REQUEST_METHOD", "POST", 1);
    ::setenv("DOCUMENT_URI", "/logout", 1);
    ::setenv("CONTENT_LENGTH", "5", 1);
    ::setenv("LATCHKEY_CLIENT_SECRET", "s3cret", 1);
    const RequestHandler handler = [](const ParamMap& params, std::string_view body) {
      Response response = echoHandler(params, body);
      if (params.count("LATCHKEY_CLIENT_SECRET") != 0) {
        response.status = 500;
      }
      return response;
    };
    ::_exit(runCgi(handler, kQuietLog));
  }
  ::close(in[0]);
  ::close(out[1]);
  ASSERT_EQ(::write(in[1], "a=1&bEXTRA", 10), 10);
  ::close(in[1]);
  std::string output;
  char buffer[1024];
  ssize_t n;
  while ((n = ::read(out[0], buffer, sizeof buffer)) > 0) {
    output.append(buffer, static_cast<size_t>(n));
  }
  ::close(out[0]);
  const int status = waitForChild(pid, 10);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(output, "Status: 200 OK\r\nContent-Length: 13\r\n\r\n/logout|a=1&b");
}

// ---------------------------------------------------------------- FastCGI end to end

// FastCGI 1.0 record types and roles (fastcgi spec §8).
constexpr uint8_t kBeginRequest = 1;
constexpr uint8_t kEndRequest = 3;
constexpr uint8_t kParams = 4;
constexpr uint8_t kStdin = 5;
constexpr uint8_t kStdout = 6;

void appendRecord(std::string& out, uint8_t type, std::string_view content) {
  do {
    const size_t chunk = std::min<size_t>(content.size(), 65535);
    const char header[8] = {1,
                            static_cast<char>(type),
                            0,
                            1,  // request id 1
                            static_cast<char>((chunk >> 8) & 0xff),
                            static_cast<char>(chunk & 0xff),
                            0,
                            0};
    out.append(header, 8);
    out.append(content.substr(0, chunk));
    content.remove_prefix(chunk);
  } while (!content.empty());
}

void appendLength(std::string& out, size_t length) {
  if (length < 128) {
    out += static_cast<char>(length);
  } else {
    out += static_cast<char>(((length >> 24) & 0x7f) | 0x80);
    out += static_cast<char>((length >> 16) & 0xff);
    out += static_cast<char>((length >> 8) & 0xff);
    out += static_cast<char>(length & 0xff);
  }
}

std::string encodeRequest(const ParamMap& params, std::string_view body) {
  std::string out;
  appendRecord(out, kBeginRequest, std::string_view("\0\1\0\0\0\0\0\0", 8));  // responder
  std::string pairs;
  for (const auto& [name, value] : params) {
    appendLength(pairs, name.size());
    appendLength(pairs, value.size());
    pairs += name;
    pairs += value;
  }
  appendRecord(out, kParams, pairs);
  appendRecord(out, kParams, "");
  if (!body.empty()) {
    appendRecord(out, kStdin, body);
  }
  appendRecord(out, kStdin, "");
  return out;
}

bool readExactly(int fd, char* data, size_t length) {
  while (length > 0) {
    const ssize_t n = ::read(fd, data, length);
    if (n <= 0) {
      return false;
    }
    data += n;
    length -= static_cast<size_t>(n);
  }
  return true;
}

// Reads STDOUT records until END_REQUEST; "<incomplete>" if the connection ends first.
std::string readResponse(int fd) {
  std::string stdout_data;
  while (true) {
    unsigned char header[8];
    if (!readExactly(fd, reinterpret_cast<char*>(header), 8)) {
      return "<incomplete>" + stdout_data;
    }
    const size_t length = (static_cast<size_t>(header[4]) << 8) | header[5];
    std::string content(length + header[6], '\0');
    if (!readExactly(fd, content.data(), content.size())) {
      return "<incomplete>" + stdout_data;
    }
    if (header[1] == kStdout) {
      stdout_data += content.substr(0, length);
    } else if (header[1] == kEndRequest) {
      return stdout_data;
    }
  }
}

// A latchkey FastCGI server in a child process, so signals hit only it.
class FastCgiServer {
 public:
  explicit FastCgiServer(int threads) {
    ServerOptions options;
    options.listen = "unix:" + socketPath();
    options.threads = threads;
    auto fd = openListenSocket(options);
    EXPECT_TRUE(fd) << (fd ? "" : fd.error().detail);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int log_fd = ::open(logPath().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(log_fd, STDERR_FILENO);
      const RequestHandler handler = [](const ParamMap& params, std::string_view body) {
        if (params.find("DOCUMENT_URI")->second == "/slow") {
          std::this_thread::sleep_for(std::chrono::milliseconds(800));
        }
        return echoHandler(params, body);
      };
      ::_exit(runFastCgi({*fd}, options, handler, Logger(LogLevel::kInfo)));
    }
    ::close(*fd);
  }
  ~FastCgiServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  FastCgiServer(const FastCgiServer&) = delete;
  FastCgiServer& operator=(const FastCgiServer&) = delete;

  std::string socketPath() const { return dir_.file("fcgi.sock"); }
  std::string logPath() const { return dir_.file("log"); }

  int send(const ParamMap& params, std::string_view body) const {
    const int fd = connectUnix(socketPath());
    EXPECT_GE(fd, 0);
    const std::string request = encodeRequest(params, body);
    EXPECT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    return fd;
  }
  std::string roundTrip(const ParamMap& params, std::string_view body) const {
    const int fd = send(params, body);
    std::string response = readResponse(fd);
    ::close(fd);
    return response;
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  // Returns the exit status (-1 if it did not exit within 5 s).
  int waitForExit() {
    const int status = waitForChild(pid_, 5);
    pid_ = -1;
    return status;
  }
  int terminate() {
    signal(SIGTERM);
    return waitForExit();
  }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
};

ParamMap fcgiParams(std::string uri) {
  return ParamMap{
      {"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", std::move(uri)}, {"REMOTE_ADDR", "127.0.0.1"}};
}

// One request is answered with the handler's response; SIGTERM then stops the server with 0.
TEST(RunFastCgi, AnswersRequestsAndStopsOnSigterm) {
  FastCgiServer server(3);
  ParamMap params = fcgiParams("/hello");
  params["CONTENT_LENGTH"] = "4";
  EXPECT_EQ(server.roundTrip(params, "body"),
            "Status: 200 OK\r\nContent-Length: 11\r\n\r\n/hello|body");
  EXPECT_EQ(server.roundTrip(fcgiParams("/again"), ""),
            "Status: 200 OK\r\nContent-Length: 7\r\n\r\n/again|");
  const int status = server.terminate();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string log = readFile(server.logPath());
  EXPECT_NE(log.find("\"event\":\"listening\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"event\":\"stopped\""), std::string::npos) << log;
}

// Params over the cap get a 400 from the server itself.
TEST(RunFastCgi, OversizeParamsAre400) {
  FastCgiServer server(2);
  ParamMap params = fcgiParams("/hello");
  params["HTTP_COOKIE"] = std::string(kMaxParamsBytes + 10, 'c');
  EXPECT_EQ(server.roundTrip(params, "").rfind("Status: 400 Bad Request\r\n", 0), 0u);
}

// A declared body over the cap gets a 413 without the body being read.
TEST(RunFastCgi, OversizeContentLengthIs413) {
  FastCgiServer server(2);
  ParamMap params = fcgiParams("/hello");
  params["REQUEST_METHOD"] = "POST";
  params["CONTENT_LENGTH"] = "10000000";
  EXPECT_EQ(server.roundTrip(params, std::string(1000, 'b')).rfind("Status: 413 ", 0), 0u);
  // And the server still answers the next request.
  EXPECT_EQ(server.roundTrip(fcgiParams("/next"), "").rfind("Status: 200 OK\r\n", 0), 0u);
}

// SIGTERM during a request: the request in flight still completes, idle workers blocked
// waiting for connections wake up, and runFastCgi returns 0.
TEST(RunFastCgi, SigtermLetsRequestInFlightFinish) {
  FastCgiServer server(4);
  // Make sure the server is up before the slow request is timed.
  ASSERT_EQ(server.roundTrip(fcgiParams("/ping"), "").rfind("Status: 200", 0), 0u);
  const int fd = server.send(fcgiParams("/slow"), "");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.signal(SIGHUP);  // ignored: must neither stop nor disturb anything
  server.signal(SIGTERM);
  EXPECT_EQ(readResponse(fd), "Status: 200 OK\r\nContent-Length: 6\r\n\r\n/slow|");
  ::close(fd);
  const int status = server.waitForExit();
  ASSERT_TRUE(WIFEXITED(status)) << "server did not exit: " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string log = readFile(server.logPath());
  EXPECT_NE(log.find("\"event\":\"stopping\""), std::string::npos) << log;
}

// Connections already queued at the socket when SIGTERM comes are answered, not reset:
// nginx sent them in good faith, and a reset is a 502 for the visitor.
TEST(RunFastCgi, SigtermAnswersConnectionsQueuedInTheBacklog) {
  FastCgiServer server(1);
  ASSERT_EQ(server.roundTrip(fcgiParams("/ping"), "").rfind("Status: 200", 0), 0u);
  const int slow = server.send(fcgiParams("/slow"), "");  // holds the only worker
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<int> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(server.send(fcgiParams("/queued"), ""));
  }
  server.signal(SIGTERM);
  EXPECT_EQ(readResponse(slow), "Status: 200 OK\r\nContent-Length: 6\r\n\r\n/slow|");
  ::close(slow);
  for (const int fd : queued) {
    EXPECT_EQ(readResponse(fd), "Status: 200 OK\r\nContent-Length: 8\r\n\r\n/queued|");
    ::close(fd);
  }
  const int status = server.waitForExit();
  ASSERT_TRUE(WIFEXITED(status)) << "server did not exit: " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A complete request frees its worker as soon as it is answered: the server closes at once
// instead of lingering until the client closes its end (libfcgi's default, which held the
// worker for up to 2 s here, and for a round trip with nginx on every request).
TEST(RunFastCgi, CompleteRequestFreesTheWorkerWithoutWaitingForTheClient) {
  FastCgiServer server(1);
  const int first = server.send(fcgiParams("/first"), "");
  EXPECT_EQ(readResponse(first), "Status: 200 OK\r\nContent-Length: 7\r\n\r\n/first|");
  // `first` stays open: the only worker must not be waiting for it.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.roundTrip(fcgiParams("/second"), ""),
            "Status: 200 OK\r\nContent-Length: 8\r\n\r\n/second|");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  char byte = 0;
  EXPECT_EQ(::read(first, &byte, 1), 0) << "the server closed its end";
  ::close(first);
}

// A responder request whose input stream has not ended (its empty STDIN record never sent)
// is still answered at once: looking for the end of the input never waits.
TEST(RunFastCgi, RequestWithoutTheEndOfItsInputIsAnsweredAtOnce) {
  FastCgiServer server(1);
  std::string request = encodeRequest(fcgiParams("/open"), "");
  request.resize(request.size() - 8);  // drop the empty STDIN record that ends the input
  const int fd = connectUnix(server.socketPath());
  ASSERT_GE(fd, 0);
  const timeval limit{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(readResponse(fd), "Status: 200 OK\r\nContent-Length: 6\r\n\r\n/open|");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  ::close(fd);
}

// An idle server whose workers all wait for connections stops promptly on SIGTERM, and
// the socket is no longer served afterwards.
TEST(RunFastCgi, IdleServerStopsPromptly) {
  FastCgiServer server(8);
  ASSERT_EQ(server.roundTrip(fcgiParams("/ping"), "").rfind("Status: 200", 0), 0u);
  const auto start = std::chrono::steady_clock::now();
  const int status = server.terminate();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(connectUnix(server.socketPath()), 0);
}

}  // namespace
}  // namespace latchkey
