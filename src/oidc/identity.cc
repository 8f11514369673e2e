// One place where identity values from any provider answer are checked and bounded, because
// they all end up in the same cookie, response headers and pages.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "latchkey/oidc/identity_provider.h"

namespace latchkey {
namespace {

bool isControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; }

bool hasControlChar(std::string_view text) { return std::any_of(text.begin(), text.end(), isControl); }

// Cuts at most max bytes without splitting a UTF-8 sequence: continuation bytes
// (10xxxxxx) at the cut are dropped together with their lead byte.
std::string truncateUtf8(std::string text, size_t max) {
  if (text.size() <= max) {
    return text;
  }
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  text.resize(end);
  return text;
}

bool isWebUrl(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

Error unusable(const std::string& what) {
  return makeError(Errc::kProviderBadResponse, "identity: " + what);
}

}  // namespace

Result<Identity> validatedIdentity(Identity identity) {
  if (identity.sub.empty() || identity.sub.size() > kMaxSubBytes ||
      hasControlChar(identity.sub)) {
    return unusable("sub is not 1 to " + std::to_string(kMaxSubBytes) + " printable characters");
  }
  if (identity.email.size() > kMaxEmailBytes || hasControlChar(identity.email)) {
    return unusable("e-mail of " + std::to_string(identity.email.size()) +
                    " bytes is longer than " + std::to_string(kMaxEmailBytes) +
                    " or holds control characters");
  }
  // Names are chosen by the user at most providers: keep them, made harmless.
  std::replace_if(identity.name.begin(), identity.name.end(), isControl, ' ');
  identity.name = truncateUtf8(std::move(identity.name), kMaxNameBytes);
  if (identity.picture.size() > kMaxPictureBytes || hasControlChar(identity.picture) ||
      !isWebUrl(identity.picture)) {
    identity.picture.clear();
  }
  std::transform(identity.hosted_domain.begin(), identity.hosted_domain.end(),
                 identity.hosted_domain.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return identity;
}

}  // namespace latchkey
