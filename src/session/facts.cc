// Groups and claims from a verified claim set (ID token payload or userinfo answer).
#include "latchkey/session/facts.h"

#include <algorithm>
#include <array>
#include <optional>

namespace latchkey {
namespace {

constexpr size_t kMaxValueBytes = 256;
constexpr size_t kMaxValuesPerClaim = 1000;

// RFC 7519 §4.1 and OIDC Core §2 protocol claims say nothing about the person; the identity
// claims are kept by the session itself.
constexpr std::array<std::string_view, 20> kSkipped = {"iss",
                                                       "aud",
                                                       "exp",
                                                       "iat",
                                                       "nbf",
                                                       "jti",
                                                       "nonce",
                                                       "azp",
                                                       "at_hash",
                                                       "c_hash",
                                                       "auth_time",
                                                       "acr",
                                                       "amr",
                                                       "sid",
                                                       "sub",
                                                       "email",
                                                       "email_verified",
                                                       "name",
                                                       "picture",
                                                       "updated_at"};

bool usable(std::string_view text) {
  return !text.empty() && text.size() <= kMaxValueBytes &&
         std::none_of(text.begin(), text.end(), [](char c) {
           const auto u = static_cast<unsigned char>(c);
           return u < 0x20 || u == 0x7f;
         });
}

// A scalar as text: strings as they are, numbers and booleans in their JSON form.
std::optional<std::string> scalarText(const rapidjson::Value& v) {
  if (v.IsString()) {
    std::string text(v.GetString(), v.GetStringLength());
    return usable(text) ? std::optional(std::move(text)) : std::nullopt;
  }
  if (v.IsBool())
    return std::string(v.GetBool() ? "true" : "false");
  if (v.IsInt64())
    return std::to_string(v.GetInt64());
  if (v.IsUint64())
    return std::to_string(v.GetUint64());
  return std::nullopt;
}

// A string or an array of scalars, as a list of texts (other shapes: nothing).
std::vector<std::string> values(const rapidjson::Value& v) {
  std::vector<std::string> out;
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      if (out.size() >= kMaxValuesPerClaim)
        break;
      if (auto text = scalarText(item))
        out.push_back(std::move(*text));
    }
  } else if (auto text = scalarText(v)) {
    out.push_back(std::move(*text));
  }
  return out;
}

void addUnique(std::vector<std::string>& to, std::vector<std::string> from) {
  for (std::string& value : from) {
    if (std::find(to.begin(), to.end(), value) == to.end()) {
      to.push_back(std::move(value));
    }
  }
}

}  // namespace

void addClaimFacts(const rapidjson::Value& claims, const std::string& groups_claim, Facts& facts) {
  if (!claims.IsObject()) {
    return;
  }
  for (auto it = claims.MemberBegin(); it != claims.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (name == groups_claim) {
      // Groups may be a list, or one string (some providers send a single role that way).
      addUnique(facts.groups, values(it->value));
      continue;
    }
    if (!usable(name) || std::find(kSkipped.begin(), kSkipped.end(), name) != kSkipped.end()) {
      continue;
    }
    std::vector<std::string> found = values(it->value);
    if (!found.empty()) {
      addUnique(facts.claims[std::string(name)], std::move(found));
    }
  }
}

void normalizeFacts(Facts& facts) {
  std::sort(facts.groups.begin(), facts.groups.end());
  facts.groups.erase(std::unique(facts.groups.begin(), facts.groups.end()), facts.groups.end());
}

}  // namespace latchkey
