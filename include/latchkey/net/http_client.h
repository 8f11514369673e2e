// The only seam for network I/O to the provider. Production: CurlHttpClient; tests: fakes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "latchkey/util/result.h"

namespace latchkey {

inline constexpr size_t kMaxProviderResponseBytes = 1024 * 1024;

// Which of the provider's endpoints a call is for: a label for the metrics only.
enum class ProviderEndpoint { kDiscovery, kJwks, kToken, kRefresh, kUserinfo, kRevocation, kOther };

struct HttpRequest {
  std::string method = "GET";  // "GET" or "POST"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // POST: application/x-www-form-urlencoded unless a header says otherwise
  ProviderEndpoint endpoint = ProviderEndpoint::kOther;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // A response of any status is a value; transport failures are errors:
  // kProviderUnreachable (refused, DNS, timeout), kProviderTlsFailure (untrusted
  // certificate), kProviderBadResponse (body larger than kMaxProviderResponseBytes).
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct CurlOptions {
  std::string ca_file;              // empty: system store
  int timeout_seconds = 10;         // the whole call
  int connect_timeout_seconds = 3;  // opening the connection (TCP and TLS handshake)
};

// libcurl client. send() is thread-safe: every thread uses its own easy handle, kept
// alive between calls, so connections (and TLS sessions) to the provider are reused.
// libcurl is loaded (dlopen) and curl_global_init run once, on the first send() or
// initHttpClientLibrary(), whichever comes first.
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options);
  Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  CurlOptions options_;
};

// Loads libcurl and runs curl_global_init, once; the FastCGI server calls it before any
// thread starts so a missing library stops the start, while CGI leaves it to the first
// provider call (most CGI requests, /auth among them, make none). Thread-safe.
Status initHttpClientLibrary();

}  // namespace latchkey
