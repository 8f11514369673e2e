// The HTML a visitor sees: built-in pages, or the site owner's templates (templates_dir).
// Every value is HTML-escaped; every page carries the security headers of SPEC.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/config.h"
#include "latchkey/http.h"

namespace latchkey {

struct ErrorPage {
  int status = 500;
  std::string title;    // "Sign-in was cancelled"
  std::string message;  // what happened, plain words
  std::string hint;     // what to do about it
};

class Pages {
 public:
  // Loads and checks templates_dir when set; a broken template is a start-up error
  // (problems are appended as "templates_dir: ..." lines and nullptr is returned).
  static std::unique_ptr<Pages> load(const Config& config, std::vector<std::string>& problems);
  ~Pages();

  Response signedOut() const;
  Response signedIn(std::string_view email, std::string_view name,
                    std::string_view picture) const;
  Response error(const ErrorPage& page) const;
  Response notFound() const;
  Response methodNotAllowed(std::string_view allow) const;

  struct Impl;

 private:
  explicit Pages(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Cache-Control: no-store, X-Content-Type-Options, X-Frame-Options, Referrer-Policy, and a
// Content-Security-Policy that allows nothing but what latchkey's pages use.
void addSecurityHeaders(Response& response, std::string_view csp);
inline constexpr std::string_view kNoContentCsp =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

}  // namespace latchkey
