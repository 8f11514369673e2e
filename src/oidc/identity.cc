// One place where identity values from any provider answer are checked and bounded, because
// they all end up in the same cookie, response headers and pages.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "latchkey/oidc/identity_provider.h"
#include "latchkey/util/text.h"

namespace latchkey {
namespace {

bool isWebUrl(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

Error unusable(const std::string& what) {
  return makeError(Errc::kProviderBadResponse, "identity: " + what);
}

}  // namespace

Result<Identity> validatedIdentity(Identity identity) {
  if (identity.sub.empty() || identity.sub.size() > kMaxSubBytes || hasControlChar(identity.sub)) {
    return unusable("sub is not 1 to " + std::to_string(kMaxSubBytes) + " printable characters");
  }
  if (identity.email.size() > kMaxEmailBytes || hasControlChar(identity.email)) {
    return unusable("e-mail of " + std::to_string(identity.email.size()) +
                    " bytes is longer than " + std::to_string(kMaxEmailBytes) +
                    " or holds control characters");
  }
  // Names are chosen by the user at most providers: keep them, made harmless.
  std::replace_if(identity.name.begin(), identity.name.end(), isControlChar, ' ');
  identity.name = std::string(truncateUtf8(identity.name, kMaxNameBytes));
  if (identity.picture.size() > kMaxPictureBytes || hasControlChar(identity.picture) ||
      !isWebUrl(identity.picture)) {
    identity.picture.clear();
  }
  identity.hosted_domain = toLowerAscii(identity.hosted_domain);
  return identity;
}

}  // namespace latchkey
