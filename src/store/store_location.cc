// The session_store key: which back end, and where.
#include <algorithm>
#include <charconv>

#include "latchkey/store/session_store.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"

namespace latchkey {
namespace {

Error bad(std::string what) {
  return makeError(Errc::kBadRequest, std::move(what));
}

bool parseNumber(std::string_view text, int low, int high, int& out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < low ||
      value > high) {
    return false;
  }
  out = value;
  return true;
}

// %XX in a password (as in redis-cli -u); anything else is taken literally.
std::string percentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    int byte = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, byte, 16).ptr ==
            text.data() + i + 3) {
      out += static_cast<char>(byte);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool prefixCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':';
}

Result<StoreLocation> parseRedis(std::string_view rest) {
  StoreLocation where;
  where.kind = StoreLocation::Kind::kRedis;
  if (const size_t question = rest.find('?'); question != std::string_view::npos) {
    const std::string_view query = rest.substr(question + 1);
    rest = rest.substr(0, question);
    if (!query.starts_with("prefix="))
      return bad("the only option is ?prefix=NAME");
    where.prefix = std::string(query.substr(7));
    if (where.prefix.empty() || where.prefix.size() > 64 ||
        !std::all_of(where.prefix.begin(), where.prefix.end(), prefixCharacter)) {
      return bad("?prefix= takes 1 to 64 letters, digits, '_', '-', '.' or ':'");
    }
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !parseNumber(db, 0, 65535, where.database)) {
      return bad("the database after the host must be a number, as in redis://host:6379/0");
    }
  }
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    // redis://:password@host (Redis 5 style) or redis://user:password@host: only the
    // password counts, as AUTH with one argument expects.
    const size_t colon = userinfo.find(':');
    where.password =
        percentDecode(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return bad("an IPv6 host needs its closing ]");
    where.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':')
        return bad("expected :port after ]");
      port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    where.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port = authority.substr(colon + 1);
  }
  if (where.host.empty())
    return bad("no host, write redis://host:6379/0");
  if (!port.empty() && !parseNumber(port, 1, 65535, where.port)) {
    return bad("the port must be a number from 1 to 65535");
  }
  return where;
}

}  // namespace

Result<StoreLocation> parseStoreLocation(std::string_view text) {
  if (text.starts_with("sqlite:")) {
    StoreLocation where;
    where.path = std::string(text.substr(7));
    if (where.path.starts_with("//"))
      where.path.erase(0, 2);  // sqlite:///abs also accepted
    if (!where.path.starts_with('/')) {
      return bad(
          "the SQLite file must be an absolute path, as in sqlite:/var/lib/latchkey/state.db");
    }
    return where;
  }
  if (text.starts_with("redis://"))
    return parseRedis(text.substr(8));
  if (text.starts_with("rediss://")) {
    return bad(
        "rediss:// (TLS) is not supported by the hiredis 0.14 client latchkey is built "
        "with; reach Redis over a private network or a TLS tunnel (stunnel, spiped)");
  }
  return bad("must start with sqlite:/ or redis://");
}

std::string deploymentStorePrefix(std::string_view issuer, std::string_view client_id) {
  const auto digest = sha256(std::string(issuer) + '\n' + std::string(client_id));
  return "latchkey:" +
         base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), 9));
}

Result<std::unique_ptr<SessionStore>> openSessionStore(const StoreLocation& where, int timeout_ms) {
  if (where.kind == StoreLocation::Kind::kSqlite)
    return openSqliteStore(where.path, timeout_ms);
  return openRedisStore(where, timeout_ms);
}

}  // namespace latchkey
