// Session and login cookies (README "Security model").
//
//   value    = "v1." payload64 "." mac64
//   payload64 = json64 "." sealed64        (sealed64 may be empty)
//   mac      = HMAC-SHA256(mac_key, "latchkey|v1|" purpose "|" payload64)
//   json64   = base64url of a small JSON object written by us (identity, expiry)
//   sealed64 = base64url of AES-256-GCM(enc_key, secrets JSON, AAD = purpose label)
//
// The MAC covers every byte after "v1." up to the last '.', and is checked (constant time,
// current key then previous) before a single byte is decoded or parsed, so a parser bug can
// only be reached with a value we signed. The secrets are their own segment rather than a
// field of the JSON so that the /auth path (openSessionIdentity) hashes them but never
// decodes, parses or decrypts them: that keeps the per-request cost near one HMAC.
#include "latchkey/session/session.h"

#include <openssl/crypto.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "session/signed_json.h"

namespace latchkey {

namespace {

// The keys one cookie secret yields. CookieCodec::Keys (private) derives from this so the
// file-local helpers below can take it.
struct KeyMaterial {
  HmacSha256 mac;
  std::string enc;  // AES-256-GCM key
};

}  // namespace

struct CookieCodec::Keys : KeyMaterial {
  // A constructor rather than aggregate init: std::make_unique needs C++20 parenthesised
  // aggregate initialisation for that, which clang before 16 (the fuzz build) lacks.
  explicit Keys(KeyMaterial&& material) : KeyMaterial(std::move(material)) {}
};

namespace {

constexpr std::string_view kVersionPrefix = "v1.";
constexpr std::string_view kPurposeSession = "session";
constexpr std::string_view kPurposeLogin = "login";
// AAD binds each encrypted blob to the kind of cookie it was made for.
constexpr std::string_view kAadSession = "latchkey|v1|session|tokens";
constexpr std::string_view kAadLogin = "latchkey|v1|login|secrets";
constexpr size_t kMacLen = 32;

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// The scope as HKDF context: every field length-prefixed, so no two scopes give the same bytes.
std::string scopeContext(const CookieScope& scope) {
  std::string out;
  for (const std::string* field :
       {&scope.provider, &scope.issuer, &scope.client_id, &scope.cookie_name}) {
    out.append("|").append(std::to_string(field->size())).append(":").append(*field);
  }
  return out;
}

KeyMaterial deriveKeys(std::string_view secret, const CookieScope& scope) {
  // RFC 5869 §3.2: one secret, independent keys per use and per deployment, separated by
  // "info" (the use label followed by the deployment).
  const std::string context = scopeContext(scope);
  Result<std::string> mac_key = hkdfSha256(secret, "", "latchkey v1 cookie mac" + context, 32);
  Result<std::string> enc_key =
      hkdfSha256(secret, "", "latchkey v1 token encryption" + context, 32);
  if (!mac_key || !enc_key) {
    std::fprintf(stderr, "latchkey: fatal: cookie key derivation failed\n");
    std::abort();
  }
  KeyMaterial keys{HmacSha256(*mac_key), std::move(*enc_key)};
  OPENSSL_cleanse(mac_key->data(), mac_key->size());
  return keys;
}

std::string macInput(std::string_view purpose, std::string_view payload64) {
  std::string input;
  input.reserve(16 + purpose.size() + payload64.size());
  input.append("latchkey|v1|").append(purpose).append("|").append(payload64);
  return input;
}

std::string_view view(const std::array<uint8_t, 32>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};  // NOLINT
}
std::string_view view(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

void putString(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void putInt(JsonWriter& w, const char* key, int64_t value) {
  w.Key(key);
  w.Int64(value);
}

std::string_view written(const rapidjson::StringBuffer& buffer) {
  return {buffer.GetString(), buffer.GetSize()};
}

std::string seal(const KeyMaterial& keys, std::string_view purpose, std::string_view json,
                 std::string_view sealed64) {
  std::string value(kVersionPrefix);
  value.append(base64UrlEncode(json)).append(".").append(sealed64);
  const auto mac =
      keys.mac.mac(macInput(purpose, std::string_view(value).substr(kVersionPrefix.size())));
  value.append(".").append(base64UrlEncode(view(mac)));
  return value;
}

// Encrypts a JSON object built by `fill` and returns it as base64url, wiping the plaintext.
template <typename Fill>
std::string sealSecrets(const KeyMaterial& keys, std::string_view aad, Fill fill) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  fill(w);
  w.EndObject();
  const Result<std::string> blob = aesGcmSeal(keys.enc, written(buffer), aad);
  OPENSSL_cleanse(const_cast<char*>(buffer.GetString()), buffer.GetSize());  // NOLINT
  if (!blob) {
    // Only a broken OpenSSL gets here; a cookie without its tokens would silently log the
    // user out of the provider, and a cookie with them in clear is not an option.
    std::fprintf(stderr, "latchkey: fatal: AES-256-GCM seal failed\n");
    std::abort();
  }
  return base64UrlEncode(*blob);
}

struct Verified {
  std::string json;
  std::string_view sealed64;          // points into the caller's value
  const KeyMaterial* keys = nullptr;  // the key set whose MAC matched
};

Error malformed(const char* why) {
  return makeError(Errc::kCookieMalformed, why);
}

// Everything up to and including the MAC check; the payload is decoded only after it.
Result<Verified> verify(std::string_view value, std::string_view purpose,
                        const KeyMaterial& current, const KeyMaterial* previous) {
  if (value.size() > kMaxCookieValueBytes)
    return malformed("cookie too long");
  if (!value.starts_with(kVersionPrefix))
    return malformed("unknown cookie version");
  value.remove_prefix(kVersionPrefix.size());
  const size_t first_dot = value.find('.');
  const size_t last_dot = value.rfind('.');
  if (first_dot == std::string_view::npos || first_dot == last_dot) {
    return malformed("cookie does not have three parts");
  }
  const std::string_view payload64 = value.substr(0, last_dot);
  const std::optional<std::string> mac = base64UrlDecode(value.substr(last_dot + 1));
  if (!mac || mac->size() != kMacLen)
    return malformed("cookie MAC is not 32 bytes of base64url");

  const std::string input = macInput(purpose, payload64);
  const KeyMaterial* matched = nullptr;
  if (constantTimeEquals(view(current.mac.mac(input)), *mac)) {
    matched = &current;
  } else if (previous != nullptr && constantTimeEquals(view(previous->mac.mac(input)), *mac)) {
    matched = previous;
  } else {
    return makeError(Errc::kCookieBadSignature, "cookie MAC does not match");
  }
  // After the MAC a second '.' cannot appear (we never write one), but check anyway.
  const std::string_view sealed64 = payload64.substr(first_dot + 1);
  if (sealed64.find('.') != std::string_view::npos)
    return malformed("cookie has extra parts");
  std::optional<std::string> json = base64UrlDecode(payload64.substr(0, first_dot));
  if (!json)
    return malformed("cookie payload is not base64url");
  return Verified{std::move(*json), sealed64, matched};
}

// Walks an object's members; `field(name, value)` returns false for an unknown name or a
// wrong type. A repeated name is refused too, so there is one reading of every value.
template <typename Field>
bool forEachMember(const rapidjson::Value& object, Field field) {
  std::vector<std::string_view> seen;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    const std::string_view name = view(it->name);
    for (const auto& s : seen) {
      if (s == name)
        return false;
    }
    seen.push_back(name);
    if (!field(name, it->value))
      return false;
  }
  return true;
}

bool readString(const rapidjson::Value& v, std::string& out) {
  if (!v.IsString())
    return false;
  out.assign(v.GetString(), v.GetStringLength());
  return true;
}
bool readInt(const rapidjson::Value& v, int64_t& out) {
  if (!v.IsInt64())
    return false;
  out = v.GetInt64();
  return true;
}
bool readBool(const rapidjson::Value& v, bool& out) {
  if (!v.IsBool())
    return false;
  out = v.GetBool();
  return true;
}

// Decrypts a sealed-secrets field and hands its members to `field`.
template <typename Field>
bool openSecrets(const KeyMaterial& keys, std::string_view aad, std::string_view blob64,
                 Field field) {
  const std::optional<std::string> blob = base64UrlDecode(blob64);
  if (!blob)
    return false;
  std::optional<std::string> plain = aesGcmOpen(keys.enc, *blob, aad);
  if (!plain)
    return false;
  bool ok = false;
  {
    SignedJsonDocument secrets(*plain);
    ok = secrets.ok() && forEachMember(secrets.doc(), field);
  }
  OPENSSL_cleanse(plain->data(), plain->size());
  return ok;
}

}  // namespace

CookieCodec::CookieCodec(std::string_view current, std::optional<std::string_view> previous,
                         const CookieScope& scope)
    : current_(std::make_unique<Keys>(deriveKeys(current, scope))),
      previous_(previous ? std::make_unique<Keys>(deriveKeys(*previous, scope)) : nullptr) {}

CookieScope cookieScope(const Config& config) {
  std::string provider;
  switch (config.provider) {
    case ProviderKind::kGoogle:
      provider = "google";
      break;
    case ProviderKind::kGithub:
      provider = "github";
      break;
    case ProviderKind::kOidc:
      provider = "oidc";
      break;
  }
  if (config.providers.empty()) {
    return CookieScope{std::move(provider), config.issuer, config.client_id, config.cookie_name};
  }
  std::vector<std::string> lines;
  for (const Config& one : config.providers) {
    const CookieScope scope = cookieScope(one);
    lines.push_back(one.provider_id + " " + scope.provider + " " + scope.issuer + " " +
                    scope.client_id);
  }
  std::sort(lines.begin(), lines.end());
  std::string issuers;
  for (const std::string& line : lines) {
    issuers += line + "\n";  // ids, kinds and URLs hold no newline
  }
  return CookieScope{"several", std::move(issuers), {}, config.cookie_name};
}

CookieCodec::~CookieCodec() {
  for (Keys* keys : {current_.get(), previous_.get()}) {
    if (keys != nullptr)
      OPENSSL_cleanse(keys->enc.data(), keys->enc.size());
  }
}

// ---------------------------------------------------------------------------------------
// Session cookie. Payload keys are short because the whole value must stay under 4 KB:
//   sid sub em ev nm pic iat exp aex [fd] [pv] [ps] [chk] (sid absent in cookies from before
//   it existed);
//   sealed segment = {"a": access_token, "r": refresh_token},
//   empty when there are no tokens.

std::string CookieCodec::sealSession(const Session& session) const {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  if (!session.sid.empty())
    putString(w, "sid", session.sid);
  putString(w, "sub", session.sub);
  putString(w, "em", session.email);
  w.Key("ev");
  w.Bool(session.email_verified);
  putString(w, "nm", session.name);
  putString(w, "pic", session.picture);
  putInt(w, "iat", session.issued_at);
  putInt(w, "exp", session.expires_at);
  putInt(w, "aex", session.access_expires_at);
  if (!session.facts_digest.empty()) {
    putString(w, "fd", session.facts_digest);
  }
  if (!session.provider.empty()) {
    putString(w, "pv", session.provider);
  }
  if (!session.provider_sid.empty())
    putString(w, "ps", session.provider_sid);
  if (session.checked_at != 0)
    putInt(w, "chk", session.checked_at);
  w.EndObject();
  std::string sealed64;
  if (!session.access_token.empty() || !session.refresh_token.empty()) {
    sealed64 = sealSecrets(*current_, kAadSession, [&](JsonWriter& sw) {
      putString(sw, "a", session.access_token);
      putString(sw, "r", session.refresh_token);
    });
  }
  return seal(*current_, kPurposeSession, written(buffer), sealed64);
}

namespace {

// Parses a verified session payload (in place); with decrypt, also the tokens.
Result<Session> parseSession(Verified& verified, int64_t now, bool decrypt) {
  SignedJsonDocument payload(verified.json);
  if (!payload.ok())
    return malformed("session payload is not a JSON object");
  Session s;
  bool has_sub = false;
  bool has_iat = false;
  bool has_exp = false;
  const bool fields_ok =
      forEachMember(payload.doc(), [&](std::string_view name, const rapidjson::Value& v) {
        if (name == "sid")
          return readString(v, s.sid);
        if (name == "sub")
          return has_sub = readString(v, s.sub);
        if (name == "em")
          return readString(v, s.email);
        if (name == "ev")
          return readBool(v, s.email_verified);
        if (name == "nm")
          return readString(v, s.name);
        if (name == "pic")
          return readString(v, s.picture);
        if (name == "iat")
          return has_iat = readInt(v, s.issued_at);
        if (name == "exp")
          return has_exp = readInt(v, s.expires_at);
        if (name == "aex")
          return readInt(v, s.access_expires_at);
        if (name == "fd")
          return readString(v, s.facts_digest);
        if (name == "pv")
          return readString(v, s.provider);
        if (name == "ps")
          return readString(v, s.provider_sid);
        if (name == "chk")
          return readInt(v, s.checked_at);
        return false;
      });
  if (!fields_ok || !has_sub || !has_iat || !has_exp) {
    return malformed("session payload has wrong or missing fields");
  }
  if (s.expires_at <= now)
    return makeError(Errc::kCookieExpired, "session expired");
  if (decrypt && !verified.sealed64.empty()) {
    const bool ok = openSecrets(*verified.keys, kAadSession, verified.sealed64,
                                [&](std::string_view name, const rapidjson::Value& v) {
                                  if (name == "a")
                                    return readString(v, s.access_token);
                                  if (name == "r")
                                    return readString(v, s.refresh_token);
                                  return false;
                                });
    if (!ok) {
      OPENSSL_cleanse(s.access_token.data(), s.access_token.size());
      OPENSSL_cleanse(s.refresh_token.data(), s.refresh_token.size());
      return makeError(Errc::kCookieBadSignature, "session tokens do not decrypt");
    }
  }
  return s;
}

}  // namespace

Result<Session> CookieCodec::openSession(std::string_view value, int64_t now) const {
  auto verified = verify(value, kPurposeSession, *current_, previous_.get());
  if (!verified)
    return verified.error();
  return parseSession(verified.value(), now, true);
}

Result<Session> CookieCodec::openSessionForRevocation(std::string_view value, int64_t now) const {
  return openSession(value, now - kRevocationGraceSeconds);
}

Result<Session> CookieCodec::openSessionIdentity(std::string_view value, int64_t now) const {
  auto verified = verify(value, kPurposeSession, *current_, previous_.get());
  if (!verified)
    return verified.error();
  return parseSession(verified.value(), now, false);
}

// ---------------------------------------------------------------------------------------
// Login cookie: st (state), rd (return_to), exp, [pv] (provider); sealed segment = {"n": nonce,
// "v": verifier}. The PKCE verifier and nonce are encrypted: RFC 7636 §7.1 relies on the verifier
// staying secret from anyone who might see the authorization code.

std::string CookieCodec::sealLogin(const LoginState& login) const {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  putString(w, "st", login.state);
  putString(w, "rd", login.return_to);
  putInt(w, "exp", login.expires_at);
  if (!login.provider.empty()) {
    putString(w, "pv", login.provider);
  }
  w.EndObject();
  const std::string sealed64 = sealSecrets(*current_, kAadLogin, [&](JsonWriter& sw) {
    putString(sw, "n", login.nonce);
    putString(sw, "v", login.code_verifier);
  });
  return seal(*current_, kPurposeLogin, written(buffer), sealed64);
}

Result<LoginState> CookieCodec::openLogin(std::string_view value, int64_t now) const {
  auto verified = verify(value, kPurposeLogin, *current_, previous_.get());
  if (!verified)
    return verified.error();
  SignedJsonDocument payload(verified->json);
  if (!payload.ok())
    return malformed("login payload is not a JSON object");
  LoginState login;
  bool has_state = false;
  bool has_rd = false;
  bool has_exp = false;
  const bool fields_ok =
      forEachMember(payload.doc(), [&](std::string_view name, const rapidjson::Value& v) {
        if (name == "st")
          return has_state = readString(v, login.state);
        if (name == "rd")
          return has_rd = readString(v, login.return_to);
        if (name == "exp")
          return has_exp = readInt(v, login.expires_at);
        if (name == "pv")
          return readString(v, login.provider);
        return false;
      });
  if (!fields_ok || !has_state || !has_rd || !has_exp || verified->sealed64.empty()) {
    return malformed("login payload has wrong or missing fields");
  }
  if (login.expires_at <= now)
    return makeError(Errc::kCookieExpired, "login cookie expired");
  const bool ok = openSecrets(*verified->keys, kAadLogin, verified->sealed64,
                              [&](std::string_view name, const rapidjson::Value& v) {
                                if (name == "n")
                                  return readString(v, login.nonce);
                                if (name == "v")
                                  return readString(v, login.code_verifier);
                                return false;
                              });
  if (!ok)
    return makeError(Errc::kCookieBadSignature, "login secrets do not decrypt");
  return login;
}

Result<std::string> CookieCodec::sealValue(std::string_view label, std::string_view plain) const {
  const std::string aad = "latchkey|v1|value|" + std::string(label);
  Result<std::string> blob = aesGcmSeal(current_->enc, plain, aad);
  if (!blob) {
    return blob.error();
  }
  return base64UrlEncode(*blob);
}

std::optional<std::string> CookieCodec::openValue(std::string_view label,
                                                  std::string_view sealed) const {
  const std::optional<std::string> blob = base64UrlDecode(sealed);
  if (!blob)
    return std::nullopt;
  const std::string aad = "latchkey|v1|value|" + std::string(label);
  for (const Keys* keys : {current_.get(), previous_.get()}) {
    if (keys == nullptr)
      continue;
    if (auto plain = aesGcmOpen(keys->enc, *blob, aad))
      return plain;
  }
  return std::nullopt;
}

}  // namespace latchkey
