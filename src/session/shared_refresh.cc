#include "latchkey/session/shared_refresh.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/json.h"

namespace latchkey {
namespace {

constexpr std::string_view kSealLabel = "shared_refresh";

// The store never sees the refresh token itself, only its hash.
std::string tokenKey(const std::string& refresh_token) {
  const auto digest = sha256(refresh_token);
  return base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string serialise(const TokenSet& tokens) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("a");
  w.String(tokens.access_token.data(),
           static_cast<rapidjson::SizeType>(tokens.access_token.size()));
  w.Key("r");
  w.String(tokens.refresh_token.data(),
           static_cast<rapidjson::SizeType>(tokens.refresh_token.size()));
  w.Key("x");
  w.Int64(tokens.access_expires_at);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::optional<TokenSet> deserialise(std::string_view text) {
  rapidjson::Document doc;
  if (!json::parseObject(text, doc)) {
    return std::nullopt;
  }
  const auto access = json::getString(doc, "a");
  const auto refresh = json::getString(doc, "r");
  const auto expires = json::getInt(doc, "x");
  if (!access || !refresh || !expires) {
    return std::nullopt;
  }
  return TokenSet{std::string(*access), std::string(*refresh), *expires};
}

// The tokens another process published for this refresh token, if any.
std::optional<TokenSet> published(SessionStore& store, const CookieCodec& codec,
                                  const std::string& key, int64_t now) {
  auto sealed = store.getValue("rfr:" + key, now);
  if (!sealed || sealed->empty()) {
    return std::nullopt;
  }
  const auto plain = codec.openValue(kSealLabel, *sealed);
  return plain ? deserialise(*plain) : std::nullopt;
}

}  // namespace

Result<TokenSet> refreshOnceAcrossProcesses(SessionStore& store, const CookieCodec& codec,
                                            const std::string& refresh_token, int64_t now,
                                            const std::function<Result<TokenSet>()>& call) {
  const std::string key = tokenKey(refresh_token);
  if (auto tokens = published(store, codec, key, now)) {
    return *tokens;
  }
  const Result<bool> first = store.claimOnce("rfc:" + key, now + kSharedRefreshClaimSeconds, now);
  if (first && !*first) {
    return makeError(Errc::kProviderBusy, "another process is refreshing this session");
  }
  Result<TokenSet> tokens = call();
  if (tokens) {
    // Best effort: without it, the others wait out the claim and then refresh themselves.
    if (auto sealed = codec.sealValue(kSealLabel, serialise(*tokens))) {
      (void)store.putValue("rfr:" + key, *sealed, now + kSharedRefreshShareSeconds, now);
    }
  }
  return tokens;
}

}  // namespace latchkey
