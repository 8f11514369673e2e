// CurlHttpClient against a tiny HTTP server on 127.0.0.1 run by the test itself.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "latchkey/net/http_client.h"

namespace latchkey {
namespace {

// One-connection-at-a-time server: reads a request, then answers with canned bytes, or
// (hang) never answers until the test ends.
class TinyServer {
 public:
  TinyServer(std::string answer, bool hang = false) : answer_(std::move(answer)), hang_(hang) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||  // NOLINT
        listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {  // NOLINT
      ADD_FAILURE() << "cannot start the test server";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyServer() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  TinyServer(const TinyServer&) = delete;
  TinyServer& operator=(const TinyServer&) = delete;

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string request() {
    std::lock_guard<std::mutex> lock(mutex_);
    return request_;
  }

 private:
  bool waitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) {
        return true;
      }
    }
    return false;
  }

  void serve() {
    while (waitReadable(fd_)) {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) {
        continue;
      }
      std::string received;
      char buffer[4096];
      // Headers, then as many body bytes as Content-Length says.
      while (waitReadable(client)) {
        const ssize_t n = read(client, buffer, sizeof(buffer));
        if (n <= 0) {
          break;
        }
        received.append(buffer, static_cast<size_t>(n));
        const size_t end = received.find("\r\n\r\n");
        if (end == std::string::npos) {
          continue;
        }
        size_t body_length = 0;
        const size_t cl = received.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) {
          body_length = std::stoul(received.substr(cl + 16));
        }
        if (received.size() >= end + 4 + body_length) {
          break;
        }
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        request_ = received;
      }
      if (hang_) {
        while (!stop_) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      } else {
        size_t sent = 0;
        while (sent < answer_.size()) {
          const ssize_t n =
              send(client, answer_.data() + sent, answer_.size() - sent, MSG_NOSIGNAL);
          if (n <= 0) {
            break;  // the client gave up (body cap): fine
          }
          sent += static_cast<size_t>(n);
        }
      }
      close(client);
    }
  }

  std::string answer_;
  bool hang_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::string request_;
};

std::string answer(const std::string& body, const std::string& extra_headers = {}) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
}

CurlHttpClient client(int timeout_seconds = 5) {
  CurlOptions options;
  options.timeout_seconds = timeout_seconds;
  return CurlHttpClient(options);
}

// A 200 answer comes back with status and body; our headers went out.
TEST(CurlHttpClient, GetsStatusAndBody) {
  TinyServer server(answer(R"({"ok":true})"));
  auto response = client().send({"GET", server.url("/x"), {}, {}});
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"ok":true})");
  const std::string request = server.request();
  EXPECT_EQ(request.rfind("GET /x HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("User-Agent: latchkey/"), std::string::npos) << request;
  EXPECT_NE(request.find("Accept: application/json"), std::string::npos) << request;
}

// A POST sends its form body with the form content type and the caller's headers.
TEST(CurlHttpClient, PostsFormBody) {
  TinyServer server(answer("{}"));
  HttpRequest request{"POST", server.url("/token"), {{"Authorization", "Basic eDp5"}}, "a=1&b=2"};
  auto response = client().send(request);
  ASSERT_TRUE(response) << response.error().detail;
  const std::string seen = server.request();
  EXPECT_NE(seen.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos);
  EXPECT_NE(seen.find("Authorization: Basic eDp5"), std::string::npos);
  EXPECT_EQ(seen.substr(seen.size() - 7), "a=1&b=2");
}

// A redirect is returned as a value, never followed.
TEST(CurlHttpClient, DoesNotFollowRedirects) {
  TinyServer server(
      "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n"
      "Connection: close\r\n\r\n");
  auto response = client().send({"GET", server.url(), {}, {}});
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->status, 302);
}

// A body over 1 MB is cut off with kProviderBadResponse, with or without Content-Length.
TEST(CurlHttpClient, CapsTheBody) {
  const std::string big(2 * 1024 * 1024, 'x');
  {
    TinyServer server(answer(big));
    auto response = client().send({"GET", server.url(), {}, {}});
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kProviderBadResponse);
    EXPECT_NE(response.error().detail.find("larger than 1 MB"), std::string::npos);
  }
  {
    TinyServer server("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + big);
    auto response = client().send({"GET", server.url(), {}, {}});
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kProviderBadResponse);
  }
}

// Nothing listening: kProviderUnreachable, "connection refused".
TEST(CurlHttpClient, ConnectionRefused) {
  std::string url;
  {
    TinyServer server(answer("{}"));
    url = server.url();
  }  // closed: the port is free again
  auto response = client().send({"GET", url, {}, {}});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::kProviderUnreachable);
  EXPECT_NE(response.error().detail.find("connection refused"), std::string::npos)
      << response.error().detail;
}

// A server that never answers: the timeout ends the call.
TEST(CurlHttpClient, TimesOut) {
  TinyServer server("", /*hang=*/true);
  const auto start = std::chrono::steady_clock::now();
  auto response = client(1).send({"GET", server.url(), {}, {}});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::kProviderUnreachable);
  EXPECT_NE(response.error().detail.find("timed out after 1s"), std::string::npos)
      << response.error().detail;
  EXPECT_LT(elapsed, std::chrono::seconds(4));
}

// A host that takes no connection (here: a listener whose accept queue is full, so the
// kernel drops further SYNs, as a firewall or a dead host does) costs the connect timeout,
// not the whole call's timeout.
TEST(CurlHttpClient, ConnectTimeoutShorterThanTheCall) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);  // NOLINT
  ASSERT_EQ(listen(listener, 0), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);  // NOLINT
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {  // never accepted: the queue stays full
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // NOLINT
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CurlOptions options;
  options.timeout_seconds = 10;
  options.connect_timeout_seconds = 1;
  const auto start = std::chrono::steady_clock::now();
  auto response = CurlHttpClient(options).send(
      {"GET", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", {}, {}});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  for (const int fd : fillers) {
    close(fd);
  }
  close(listener);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::kProviderUnreachable);
  EXPECT_LT(elapsed, std::chrono::seconds(4)) << response.error().detail;
}

// The server closes after half the announced body: an error, not a short success.
TEST(CurlHttpClient, ConnectionDroppedMidBody) {
  TinyServer server("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"partial\":");
  auto response = client().send({"GET", server.url(), {}, {}});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::kProviderUnreachable);
  EXPECT_NE(response.error().detail.find("mid-body"), std::string::npos) << response.error().detail;
}

// Only http and https: other schemes are refused before any connection.
TEST(CurlHttpClient, RefusesOtherSchemes) {
  auto response = client().send({"GET", "file:///etc/passwd", {}, {}});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, Errc::kProviderBadResponse);
}

// The same thread's handle is reused across calls (connection reuse does not break answers).
TEST(CurlHttpClient, ReusesHandleAcrossCalls) {
  TinyServer server(answer("{\"n\":1}"));
  auto http = client();
  for (int i = 0; i < 3; ++i) {
    auto response = http.send({"GET", server.url(), {}, {}});
    ASSERT_TRUE(response) << response.error().detail;
    EXPECT_EQ(response->body, "{\"n\":1}");
  }
}

}  // namespace
}  // namespace latchkey
