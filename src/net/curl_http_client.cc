// libcurl implementation of HttpClient: one easy handle per thread,
// reset between calls so the connection cache and TLS sessions survive, no signals, no
// redirects, only http/https, a hard cap on the body, every failure mapped to an Errc.
//
// libcurl is loaded with dlopen on first use, not linked: its ~30 dependencies (TLS, HTTP/2,
// LDAP, Kerberos, SSH…) made the dynamic loader ~80% of a CGI process's start-up, paid even by
// the CGI /auth requests that never talk to the provider (bench/analysis.md).
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

#include "latchkey/net/http_client.h"
#include "latchkey/util/text.h"

#ifndef LATCHKEY_VERSION
#define LATCHKEY_VERSION "dev"
#endif

namespace latchkey {

namespace {

// The libcurl entry points this file uses, resolved once from the library's ABI soname (the
// same file the dynamic linker would have loaded for -lcurl).
struct CurlApi {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

struct LoadedCurl {
  CurlApi api{};
  bool ok = false;
  std::string error;  // why loading failed, for the error value of every send()
};

// Loads libcurl and runs curl_global_init exactly once, before any easy handle exists
// (call_once makes it safe when worker threads race to their first provider call). The
// library stays loaded for the life of the process (never dlclose'd: handles live in
// thread_local objects until thread exit).
const LoadedCurl& loadedCurl() {
  static LoadedCurl loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    // libcurl's dependencies include GnuTLS (through librtmp, for RTMPS, which latchkey never
    // enables: CURLOPT_PROTOCOLS_STR). Its implicit initialisation at load opens the p11-kit
    // modules and costs ~1 MiB resident; GnuTLS documents this variable to skip it. Set
    // only if unset, and before any thread that could read the environment runs.
    ::setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0);
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = dlerror();
      loaded.error = std::string("cannot load libcurl.so.4: ") + (why != nullptr ? why : "");
      return;
    }
    CurlApi& a = loaded.api;
    std::string& e = loaded.error;
    // Fills the table; the first symbol libcurl lacks is the load error.
    const char* missing = nullptr;
    const auto bind = [&](const char* name, auto& slot) {
      if (missing != nullptr) {
        return;
      }
      void* symbol = dlsym(lib, name);
      if (symbol == nullptr) {
        missing = name;
        return;
      }
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(symbol);
    };
    bind("curl_global_init", a.global_init);
    bind("curl_easy_init", a.easy_init);
    bind("curl_easy_cleanup", a.easy_cleanup);
    bind("curl_easy_reset", a.easy_reset);
    bind("curl_easy_setopt", a.easy_setopt);
    bind("curl_easy_perform", a.easy_perform);
    bind("curl_easy_getinfo", a.easy_getinfo);
    bind("curl_easy_strerror", a.easy_strerror);
    bind("curl_slist_append", a.slist_append);
    bind("curl_slist_free_all", a.slist_free_all);
    if (missing != nullptr) {
      e = std::string("libcurl has no ") + missing;
      return;
    }
    const CURLcode rc = a.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
      e = std::string("curl_global_init failed: ") + a.easy_strerror(rc);
      return;
    }
    loaded.ok = true;
  });
  return loaded;
}

// Only called after loadedCurl().ok was checked.
const CurlApi& curl() {
  return loadedCurl().api;
}

// CURL is void in curl.h, so unique_ptr with a deleter would not name a type: a small class.
class CurlEasy {
 public:
  CurlEasy() : handle_(curl().easy_init()) {}
  ~CurlEasy() {
    if (handle_ != nullptr) {
      curl().easy_cleanup(handle_);
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
  ~CurlSlist() {
    if (list_ != nullptr) {
      curl().slist_free_all(list_);
    }
  }
  CurlSlist(const CurlSlist&) = delete;
  CurlSlist& operator=(const CurlSlist&) = delete;
  bool append(const std::string& line) {
    curl_slist* next = curl().slist_append(list_, line.c_str());
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
    if (equalsIgnoreCaseAscii(key, name)) {
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
      what = curl().easy_strerror(code);
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

Status initHttpClientLibrary() {
  const LoadedCurl& loaded = loadedCurl();
  if (!loaded.ok) {
    return makeError(Errc::kInternal, loaded.error);
  }
  return {};
}

CurlHttpClient::CurlHttpClient(CurlOptions options) : options_(std::move(options)) {}

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "POST") {
    return makeError(Errc::kInternal, "unsupported HTTP method " + request.method);
  }
  if (const LoadedCurl& loaded = loadedCurl(); !loaded.ok) {
    return makeError(Errc::kInternal, loaded.error);
  }
  const CurlApi& api = curl();
  CURL* handle = threadHandle();
  if (handle == nullptr) {
    return makeError(Errc::kInternal, "curl_easy_init failed");
  }
  // Keeps the connection cache and TLS session cache, forgets every option of the last call.
  api.easy_reset(handle);

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
  // http stays allowed: the configuration check lets it through to loopback hosts only.
  const char* protocols = "http,https";
  const std::string user_agent = std::string("latchkey/") + LATCHKEY_VERSION;

  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) {
      rc = api.easy_setopt(handle, option, value);
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
  // A provider that is down answers no SYN: give up on the connect after the short
  // connect timeout instead of the whole call's (a refused connection fails at once anyway).
  set(CURLOPT_CONNECTTIMEOUT_MS,
      std::min(timeout_ms, static_cast<long>(options_.connect_timeout_seconds) * 1000L));
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  // RFC 8996 deprecates TLS 1.0 and 1.1 and RFC 9325 §3.1.1 asks for 1.2 at least; libcurl
  // before 8.10 and a permissive OpenSSL configuration would still offer them.
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
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
                     std::string("curl_easy_setopt failed: ") + api.easy_strerror(rc));
  }

  rc = api.easy_perform(handle);
  // Detach our stack objects from the handle before they go away.
  api.easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
  api.easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);

  if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return makeError(Errc::kProviderBadResponse,
                     request.method + " " + urlForLog(request.url) + ": response larger than 1 MB");
  }
  if (rc != CURLE_OK) {
    return transportError(rc, request, errbuf, options_.timeout_seconds);
  }

  HttpResponse response;
  api.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(sink.body);
  return response;
}

}  // namespace latchkey
