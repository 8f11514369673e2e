// A hand-written HttpClient for tests answers from handlers keyed by URL
// (the exact URL first, then the URL without its query), else from a queue of canned
// responses; records every request. Thread-safe; handlers run outside the lock, so a
// handler may sleep to hold a fetch "in flight" while other threads pile up.
#pragma once

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/net/http_client.h"
#include "latchkey/util/clock.h"
#include "latchkey/util/encoding.h"

namespace latchkey::testing {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;

  static HttpResponse response(long status, std::string body) {
    HttpResponse out;
    out.status = status;
    out.body = std::move(body);
    return out;
  }

  // Every request to url (query ignored unless registered with one) goes to handler.
  void on(const std::string& url, Handler handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handlers_[url] = std::move(handler);
  }
  // Every request to url gets this answer.
  void onJson(const std::string& url, long status, std::string body) {
    HttpResponse canned = response(status, std::move(body));
    on(url, [canned](const HttpRequest&) -> Result<HttpResponse> { return canned; });
  }
  // Answers for requests no handler takes, in order.
  void enqueue(Result<HttpResponse> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(next));
  }

  Result<HttpResponse> send(const HttpRequest& request) override {
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      auto it = handlers_.find(request.url);
      if (it == handlers_.end()) {
        it = handlers_.find(request.url.substr(0, request.url.find('?')));
      }
      if (it != handlers_.end()) {
        handler = it->second;
      } else if (!queue_.empty()) {
        Result<HttpResponse> next = std::move(queue_.front());
        queue_.pop_front();
        return next;
      } else {
        return makeError(Errc::kProviderUnreachable, "fake: nothing for " + request.url);
      }
    }
    return handler(request);
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  // How many requests went to url (query ignored).
  size_t count(const std::string& url) const {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t n = 0;
    for (const auto& request : requests_) {
      n += request.url.substr(0, request.url.find('?')) == url ? 1 : 0;
    }
    return n;
  }
  // The last request to url (query ignored); an empty request when there was none.
  HttpRequest last(const std::string& url) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = requests_.rbegin(); it != requests_.rend(); ++it) {
      if (it->url.substr(0, it->url.find('?')) == url) {
        return *it;
      }
    }
    return {};
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Handler> handlers_;
  std::deque<Result<HttpResponse>> queue_;
  std::vector<HttpRequest> requests_;
};

// name -> value of an application/x-www-form-urlencoded body or URL query (after '?').
// A repeated name maps to "<duplicate>" so tests notice it.
inline std::map<std::string, std::string> parseForm(std::string_view text) {
  if (const size_t q = text.find('?'); q != std::string_view::npos) {
    text.remove_prefix(q + 1);
  }
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    const size_t eq = pair.find('=');
    const std::string name = percentDecode(pair.substr(0, eq), true).value_or("<bad>");
    const std::string value = eq == std::string_view::npos
                                  ? ""
                                  : percentDecode(pair.substr(eq + 1), true).value_or("<bad>");
    out[name] = out.count(name) != 0 ? "<duplicate>" : value;
    text.remove_prefix(amp == std::string_view::npos ? text.size() : amp + 1);
  }
  return out;
}

// The value of a request header (case-insensitive name); empty when absent.
inline std::string headerValue(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return {};
}

// A clock tests can move (named apart from app_test_support.h's FakeClock so both headers
// can be included together).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now = 1'700'000'000) : now_(now) {}
  int64_t now() const override { return now_; }
  void advance(int64_t seconds) { now_ += seconds; }

 private:
  int64_t now_;
};

}  // namespace latchkey::testing
