// The gate's answer in the FastCGI AUTHORIZER role (FastCGI 1.0 §6.3): 200 lets the request
// through, with Variable-NAME headers that become the request's environment; any other status
// refuses it. mod_authnz_fcgi sends a refusal to the client as it is; mod_fcgid replaces it
// with a 401 of its own and keeps only the headers, hence X-Latchkey-Continue.
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "app/access_answer.h"
#include "latchkey/util/encoding.h"

namespace latchkey {
namespace {

constexpr std::string_view kIdentityPrefix = "X-Auth-Request-";

// X-Auth-Request-Email -> X_AUTH_REQUEST_EMAIL: an environment variable name.
std::string variableName(std::string_view header) {
  std::string name(header);
  for (char& c : name) {
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

}  // namespace

Response authorizerAnswer(Response response, const Request& request, std::string_view base_path) {
  if (response.status == 200) {
    std::vector<std::pair<std::string, std::string>> variables;
    std::string user;
    for (const auto& [name, value] : response.headers) {
      // The access token stays a header the configuration asks for by name: an environment
      // variable reaches every CGI program and log format that prints the environment.
      if (!name.starts_with(kIdentityPrefix) || name == "X-Auth-Request-Access-Token") {
        continue;
      }
      variables.emplace_back("Variable-" + variableName(name), value);
      if (name == "X-Auth-Request-Email" && !value.empty()) {
        user = value;
      } else if (name == "X-Auth-Request-User" && user.empty()) {
        user = value;
      }
    }
    // REMOTE_USER as mod_authnz_fcgi's recipe sets it: the verified e-mail, else the subject.
    variables.emplace_back("Variable-REMOTE_USER", user);
    for (auto& variable : variables) {
      response.addHeader(std::move(variable.first), std::move(variable.second));
    }
    return response;
  }
  // A failed per-location rule (X-Auth-Request-Denied) keeps the bare 403: signing in again
  // would not change it.
  const bool signed_out = response.status == 401;
  const bool let_in_no_more = response.status == 403 && !response.header("X-Auth-Request-Denied");
  if (signed_out || let_in_no_more) {
    std::string base(base_path);
    while (!base.empty() && base.front() == '/') {
      base.erase(0, 1);
    }
    if (!base.empty() && base.back() != '/') {
      base += '/';
    }
    // The whole request-target, query included, escaped: /login and /signed-out take all
    // that follows a leading rd= as the return address.
    response.addHeader("X-Latchkey-Continue", base + (signed_out ? "login" : "signed-out") +
                                                  "?rd=" + urlEncode(request.original_uri));
  }
  return response;
}

}  // namespace latchkey
