// libcurl implementation of HttpClient (STYLE §5.1 checklist): one easy handle per thread,
// reset between calls so the connection cache and TLS sessions survive, no signals, no
// redirects, only http/https, a hard cap on the body, every failure mapped to an Errc.
#include <curl/curl.h>

#include <cstring>
#include <mutex>
#include <string>
#include <string_view>

#include "latchkey/http_client.h"

#ifndef LATCHKEY_VERSION
#define LATCHKEY_VERSION "dev"
#endif

namespace latchkey {

namespace {

// CURL is void in curl.h, so unique_ptr with a deleter would not name a type: a small class.
class CurlEasy {
 public:
  CurlEasy() : handle_(curl_easy_init()) {}
  ~CurlEasy() {
    if (handle_ != nullptr) {
      curl_easy_cleanup(handle_);
    }
  }
  CurlEasy(const CurlEasy&) = delete;
  CurlEasy& operator=(const CurlEasy&) = delete;
  CURL* get() const { return handle_; }

 private:
  CURL* handle_;
};

class CurlSlist {
 public:
  CurlSlist() = default;
  ~CurlSlist() { curl_slist_free_all(list_); }
  CurlSlist(const CurlSlist&) = delete;
  CurlSlist& operator=(const CurlSlist&) = delete;
  bool append(const std::string& line) {
    curl_slist* next = curl_slist_append(list_, line.c_str());
    if (next == nullptr) {
      return false;
    }
    list_ = next;
    return true;
  }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

// Each worker thread keeps its own handle: an easy handle must never be used by two threads
// at once, and keeping it alive keeps its connection cache (curl_easy_reset does not clear it).
CURL* threadHandle() {
  thread_local CurlEasy easy;
  return easy.get();
}

struct BodySink {
  std::string body;
  bool too_large = false;
};

size_t writeBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * count;
  if (sink->body.size() + n > kMaxProviderResponseBytes) {
    sink->too_large = true;
    return 0;  // anything but n aborts the transfer with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

// The URL without its query, for log details (queries could carry values we never log).
std::string urlForLog(std::string_view url) {
  const size_t q = url.find_first_of("?#");
  return std::string(url.substr(0, q));
}

bool hasHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key.size() == name.size() && strncasecmp(key.c_str(), name.data(), name.size()) == 0) {
      return true;
    }
  }
  return false;
}

Error transportError(CURLcode code, const HttpRequest& request, const char* errbuf,
                     int timeout_seconds) {
  std::string what;
  Errc errc = Errc::kProviderUnreachable;
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      what = "connection refused";
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      what = "host name not found";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      what = "timed out after " + std::to_string(timeout_seconds) + "s";
      break;
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
      what = "connection closed mid-body";
      break;
    case CURLE_GOT_NOTHING:
      what = "connection closed without a response";
      break;
    case CURLE_SEND_ERROR:
      what = "connection closed while sending";
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      errc = Errc::kProviderTlsFailure;
      what = "TLS failure";
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      errc = Errc::kProviderBadResponse;
      what = "URL not allowed";
      break;
    default:
      what = curl_easy_strerror(code);
      break;
  }
  std::string detail = request.method + " " + urlForLog(request.url) + ": " + what;
  if (errbuf[0] != '\0') {
    detail += " (";
    detail += errbuf;
    detail += ")";
  }
  return makeError(errc, std::move(detail));
}

}  // namespace

void initHttpClientLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlHttpClient::CurlHttpClient(CurlOptions options) : options_(std::move(options)) {
  initHttpClientLibrary();
}

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "POST") {
    return makeError(Errc::kInternal, "unsupported HTTP method " + request.method);
  }
  CURL* curl = threadHandle();
  if (curl == nullptr) {
    return makeError(Errc::kInternal, "curl_easy_init failed");
  }
  // Keeps the connection cache and TLS session cache, forgets every option of the last call.
  curl_easy_reset(curl);

  CurlSlist headers;
  bool ok = true;
  for (const auto& [name, value] : request.headers) {
    ok = ok && headers.append(name + ": " + value);
  }
  if (!hasHeader(request, "Accept")) {
    ok = ok && headers.append("Accept: application/json");
  }
  if (request.method == "POST" && !hasHeader(request, "Content-Type")) {
    ok = ok && headers.append("Content-Type: application/x-www-form-urlencoded");
  }
  if (!ok) {
    return makeError(Errc::kInternal, "curl_slist_append failed");
  }

  BodySink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(options_.timeout_seconds) * 1000L;
  const char* protocols = options_.allow_http_loopback ? "http,https" : "https";
  const std::string user_agent = std::string("latchkey/") + LATCHKEY_VERSION;

  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) {
      rc = curl_easy_setopt(curl, option, value);
    }
  };
  set(CURLOPT_ERRORBUFFER, errbuf);
  set(CURLOPT_URL, request.url.c_str());
  // Worker threads must never receive SIGALRM from the resolver (CURLOPT_NOSIGNAL(3)).
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, protocols);
  // The provider's endpoints are fixed by config or discovery; a redirect is never followed.
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) {
    set(CURLOPT_CAINFO, options_.ca_file.c_str());
  }
  set(CURLOPT_USERAGENT, user_agent.c_str());
  set(CURLOPT_HTTPHEADER, headers.get());
  // Fails early when the server announces a larger body; the write callback catches the rest.
  set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxProviderResponseBytes));
  set(CURLOPT_WRITEFUNCTION, writeBody);
  set(CURLOPT_WRITEDATA, &sink);
  if (request.method == "POST") {
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    set(CURLOPT_POSTFIELDS, request.body.c_str());
  } else {
    set(CURLOPT_HTTPGET, 1L);
  }
  if (rc != CURLE_OK) {
    return makeError(Errc::kInternal,
                     std::string("curl_easy_setopt failed: ") + curl_easy_strerror(rc));
  }

  rc = curl_easy_perform(curl);
  // Detach our stack objects from the handle before they go away.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);

  if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return makeError(Errc::kProviderBadResponse,
                     request.method + " " + urlForLog(request.url) + ": response larger than 1 MB");
  }
  if (rc != CURLE_OK) {
    return transportError(rc, request, errbuf, options_.timeout_seconds);
  }

  HttpResponse response;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  char* content_type = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
      content_type != nullptr) {
    response.content_type = content_type;
  }
  response.body = std::move(sink.body);
  return response;
}

}  // namespace latchkey
