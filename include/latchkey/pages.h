// The HTML a visitor sees: built-in pages, or the site owner's templates (templates_dir).
// Every value is HTML-escaped; every page carries the security headers of SPEC.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

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
  // (problems are returned as "templates_dir: ..." lines).
  static std::unique_ptr<Pages> load(const Config& config, std::vector<std::string>& problems);

  Response signedOut() const;
  Response signedIn(std::string_view email, std::string_view name,
                    std::string_view picture) const;
  Response error(const ErrorPage& page) const;
  Response notFound() const;
  Response methodNotAllowed(std::string_view allow) const;

 private:
  Pages() = default;
  Response render(int status, std::string_view template_name,
                  const std::map<std::string, std::string>& values) const;

  std::string login_url_;
  std::string logout_url_;
  std::string provider_name_;
  std::map<std::string, std::string> templates_;  // name -> template text
};

// Cache-Control: no-store, X-Content-Type-Options, X-Frame-Options, Referrer-Policy, CSP.
void addSecurityHeaders(Response& response);

}  // namespace latchkey
