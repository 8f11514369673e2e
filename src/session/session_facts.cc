#include "latchkey/session/session_facts.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <zlib.h>

#include "latchkey/session/session.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/json.h"
#include "session/signed_json.h"

namespace latchkey {
namespace {

// Decoded facts larger than this are refused before inflating (we never write them).
constexpr uLong kMaxFactsJsonBytes = 512 * 1024;
// Below this the JSON is kept as it is: inflating costs more than the bytes saved.
constexpr size_t kCompressAbove = 600;

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void putStrings(JsonWriter& w, const std::vector<std::string>& values) {
  w.StartArray();
  for (const std::string& v : values) {
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndArray();
}

std::string factsJson(const Facts& facts) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("g");
  putStrings(w, facts.groups);
  w.Key("c");
  w.StartObject();
  for (const auto& [name, values] : facts.claims) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    putStrings(w, values);
  }
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::optional<std::string> deflateText(std::string_view text) {
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,  // NOLINT
                reinterpret_cast<const Bytef*>(text.data()),  // NOLINT
                static_cast<uLong>(text.size()), Z_BEST_COMPRESSION) != Z_OK) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::optional<std::string> inflateText(std::string_view data) {
  std::string out(kMaxFactsJsonBytes, '\0');
  uLongf size = kMaxFactsJsonBytes;
  if (uncompress(reinterpret_cast<Bytef*>(out.data()), &size,  // NOLINT
                 reinterpret_cast<const Bytef*>(data.data()),  // NOLINT
                 static_cast<uLong>(data.size())) != Z_OK) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

bool readStrings(const rapidjson::Value& array, std::vector<std::string>& out) {
  if (!array.IsArray())
    return false;
  for (const auto& item : array.GetArray()) {
    if (!item.IsString())
      return false;
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return true;
}

// Only ever called on text whose digest the session cookie signed: JSON this program wrote.
std::optional<Facts> parseFactsJson(std::string& text) {
  const SignedJsonDocument parsed(text);
  if (!parsed.ok())
    return std::nullopt;
  const auto& doc = parsed.doc();
  Facts facts;
  const rapidjson::Value* groups = json::getArray(doc, "g");
  const rapidjson::Value* claims = json::getObject(doc, "c");
  if (groups == nullptr || claims == nullptr || !readStrings(*groups, facts.groups)) {
    return std::nullopt;
  }
  for (auto it = claims->MemberBegin(); it != claims->MemberEnd(); ++it) {
    auto& values = facts.claims[std::string(it->name.GetString(), it->name.GetStringLength())];
    if (!readStrings(it->value, values))
      return std::nullopt;
  }
  return facts;
}

std::string partName(std::string_view session_cookie, size_t index) {
  return std::string(session_cookie) + "." + std::to_string(index);
}

std::string digestOf(std::string_view joined) {
  const auto digest = sha256(joined);
  return base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));  // NOLINT
}

}  // namespace

Result<SealedFacts> sealFacts(const Facts& facts) {
  SealedFacts sealed;
  if (facts.empty()) {
    return sealed;
  }
  const std::string json = factsJson(facts);
  std::string raw = "j" + json;
  if (json.size() > kCompressAbove) {
    if (auto packed = deflateText(json); packed && packed->size() + 1 < raw.size()) {
      raw = "z" + *packed;
    }
  }
  const std::string value = base64UrlEncode(raw);
  const size_t parts = (value.size() + kFactsPartBytes - 1) / kFactsPartBytes;
  if (parts > kMaxFactsParts) {
    return makeError(Errc::kFactsTooLarge, std::to_string(facts.groups.size()) + " groups and " +
                                               std::to_string(facts.claims.size()) +
                                               " claims need " + std::to_string(value.size()) +
                                               " bytes of cookies, more than " +
                                               std::to_string(kMaxFactsParts * kFactsPartBytes));
  }
  for (size_t i = 0; i < parts; ++i) {
    sealed.parts.push_back(value.substr(i * kFactsPartBytes, kFactsPartBytes));
  }
  sealed.digest = digestOf(value);
  return sealed;
}

Result<Facts> openFacts(const Request& request, std::string_view session_cookie,
                        std::string_view digest) {
  std::string joined;
  for (size_t i = 1; i <= kMaxFactsParts; ++i) {
    const auto part = request.cookie(partName(session_cookie, i));
    if (!part)
      break;
    joined.append(*part);
  }
  if (joined.empty() || !constantTimeEquals(digestOf(joined), digest)) {
    return makeError(Errc::kCookieMalformed,
                     "the group cookies are missing or from another session");
  }
  // Signed by digest: from here on it is data we wrote.
  const auto raw = base64UrlDecode(joined);
  std::optional<std::string> json;
  if (raw && !raw->empty() && raw->front() == 'z') {
    json = inflateText(std::string_view(*raw).substr(1));
  } else if (raw && !raw->empty() && raw->front() == 'j') {
    json = raw->substr(1);
  }
  std::optional<Facts> facts = json ? parseFactsJson(*json) : std::nullopt;
  if (!facts) {
    return makeError(Errc::kCookieMalformed, "the group cookies do not decode");
  }
  return std::move(*facts);
}

std::vector<std::string> factsSetCookies(const Config& config, const Request& request,
                                         const SealedFacts& facts, int64_t max_age) {
  const std::string session = cookieNames(config).session;
  std::vector<std::string> out;
  for (size_t i = 0; i < facts.parts.size(); ++i) {
    out.push_back(sessionPartSetCookie(config, partName(session, i + 1), facts.parts[i], max_age));
  }
  for (size_t i = facts.parts.size() + 1; i <= kMaxFactsParts; ++i) {
    if (request.cookie(partName(session, i))) {
      out.push_back(sessionPartSetCookie(config, partName(session, i), "", 0));
    }
  }
  return out;
}

std::vector<std::string> factsClearCookies(const Config& config, const Request& request) {
  return factsSetCookies(config, request, SealedFacts{}, 0);
}

}  // namespace latchkey
