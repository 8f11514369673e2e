// The bodies of every fuzz target, header-only so that the libFuzzer mains
// (tests/fuzz/<name>_fuzzer.cc) and the plain corpus replay (tests/unit/fuzz_corpus_test.cc)
// run exactly the same code. Each target takes the raw bytes an attacker controls, feeds them
// to one parser and checks properties that must hold for every input (a failed property
// aborts, so libFuzzer reports it like a crash and saves the input).
//
// Keys and times are fixed, and Ed25519 signatures are deterministic (RFC 8032 §5.1.6), so a
// saved input reproduces forever. Targets whose first byte is a "mode" say so; text seeds in
// tests/fuzz/corpus/<name>/ start with that byte ('0', '1', ... work: only its value % N counts).
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/app/router.h"
#include "latchkey/config/config.h"
#include "latchkey/http/http.h"
#include "latchkey/jose/jose.h"
#include "latchkey/net/http_client.h"
#include "latchkey/oidc/id_token.h"
#include "latchkey/oidc/identity_provider.h"
#include "latchkey/session/session.h"
#include "latchkey/util/clock.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/openssl_ptr.h"
#include "latchkey/util/text.h"
#include "latchkey/util/url.h"
// Private headers of src/ (the Makefile puts src/ on the include path of tests).
#include "latchkey/app/email_policy.h"
#include "latchkey/app/return_path.h"
#include "oidc/oidc_metadata.h"
#include "oidc/token_response.h"

namespace latchkey::fuzz {

// ---------------------------------------------------------------------------------------
// Plumbing

// Set by the corpus replay so a failure names the file; libFuzzer saves the input itself.
inline std::string& currentInputLabel() {
  static std::string label;
  return label;
}

[[noreturn]] inline void propertyFailed(const char* what, const char* file, int line) {
  const std::string& label = currentInputLabel();
  std::fprintf(stderr, "fuzz property violated at %s:%d: %s%s%s%s\n", file, line, what,
               label.empty() ? "" : " (input ", label.c_str(), label.empty() ? "" : ")");
  std::abort();
}

#define LATCHKEY_FUZZ_CHECK(cond) \
  ((cond) ? (void)0 : ::latchkey::fuzz::propertyFailed(#cond, __FILE__, __LINE__))

inline std::string_view asText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};  // NOLINT
}

// First byte as a mode selector (mode % n), rest as the payload.
struct Moded {
  unsigned mode = 0;
  std::string_view rest;
};
inline std::optional<Moded> splitMode(const uint8_t* data, size_t size, unsigned n) {
  if (size == 0) {
    return std::nullopt;
  }
  return Moded{static_cast<unsigned>(data[0]) % n, asText(data + 1, size - 1)};
}

inline constexpr int64_t kNow = 1'700'000'000;
inline constexpr std::string_view kIssuer = "https://idp.example";
inline constexpr std::string_view kClientId = "client-1";
inline constexpr std::string_view kNonce = "nonce-1";
inline constexpr std::string_view kSubject = "user-1";

class FixedClock final : public Clock {
 public:
  int64_t now() const override { return kNow; }
};

// ---------------------------------------------------------------------------------------
// A fixed Ed25519 key for signing ID tokens inside the harness, and a fixed JWKS holding its
// public half plus public RSA-2048 and P-256 keys (their private halves were thrown away:
// only parsing and failing verification is reachable with those).

class FixedSigner {
 public:
  FixedSigner() {
    static constexpr unsigned char kSeed[32] = {
        0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
        0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
        0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};  // RFC 8032 test 1
    key_.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, kSeed, sizeof kSeed));
    std::string x(32, '\0');
    size_t len = x.size();
    if (!key_ || EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(x.data()),
                                             &len) != 1) {  // NOLINT
      propertyFailed("fixed Ed25519 key could not be built", __FILE__, __LINE__);
    }
    jwks_ = std::string(R"({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"ed","use":"sig","x":")") +
            base64UrlEncode(x) + R"("},)" + kRsaJwk + "," + kEcJwk + "]}";
  }

  std::string sign(std::string_view input) const {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    std::string sig(64, '\0');
    size_t len = sig.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,  // NOLINT
                       reinterpret_cast<const unsigned char*>(input.data()),           // NOLINT
                       input.size()) != 1) {
      propertyFailed("Ed25519 signing failed", __FILE__, __LINE__);
    }
    sig.resize(len);
    return sig;
  }

  // header.payload.signature over the exact header JSON and payload bytes given.
  std::string compact(std::string_view header_json, std::string_view payload) const {
    const std::string input = base64UrlEncode(header_json) + "." + base64UrlEncode(payload);
    return input + "." + base64UrlEncode(sign(input));
  }

  const std::string& jwks() const { return jwks_; }

  static constexpr std::string_view kHeader = R"({"alg":"EdDSA","kid":"ed","typ":"JWT"})";

 private:
  static constexpr const char* kRsaJwk =
      R"({"kty":"RSA","kid":"rsa","alg":"RS256","use":"sig","e":"AQAB","n":")"
      "1-RARRdWRDB9xuTpllvCe3_HLvFck86Y5gpQjuC_RrYpVftOA-tHJLqliBypkwryFRes2e6GBxu-i1TMpesNF7"
      "k9vksxyj0KYInGluwDWTlHXL3Lt_OdjHmKT-cXJWtYq-j8WyEzy5cOzET9lFgCt-b-Qnjjxso92tflNa2AV4L3"
      "2nxeHfijltheUCjBzn1g2i6YqhftNHynBx88GPxfXq9LD8z4Ys6WUuQlyxY78VXP_bdsfJ4aWcD_fHxtTkXrOy"
      "pU_UMRfVge1_kg7SZ0UcfulhjAlrH8y4yRdsPUF5hPsD9mI8vGj-jzRATNF5NwMo2Xz999jHBIqnzLQ_gq_w\"}";
  static constexpr const char* kEcJwk = R"({"kty":"EC","kid":"ec","crv":"P-256","alg":"ES256",)"
                                        R"("x":"pettzGOQLnV_xudZiwGhrhbUwsH9CgpWBEFKJdJ84CE",)"
                                        R"("y":"ZTUJzwNmnFDpG7220fr67imATDjBI3-RfDZhZOWt0Hc"})";

  PkeyPtr key_;
  std::string jwks_;
};

inline const FixedSigner& signer() {
  static const FixedSigner instance;
  return instance;
}

inline const JwkSet& fixedKeys() {
  static const JwkSet keys = [] {
    auto parsed = parseJwks(signer().jwks());
    if (!parsed || parsed->keys.size() != 3) {
      propertyFailed("the fixed JWKS does not parse into 3 keys", __FILE__, __LINE__);
    }
    return std::move(*parsed);
  }();
  return keys;
}

// Claims that pass every OIDC Core §3.1.3.7 check against kIssuer/kClientId/kNonce/kNow.
inline std::string goodClaims(bool with_email) {
  std::string out = R"({"iss":"https://idp.example","sub":"user-1","aud":"client-1",)"
                    R"("exp":1700003600,"iat":1700000000,"nonce":"nonce-1")";
  if (with_email) {
    out += R"(,"email":"alice@example.com","email_verified":true,"name":"Alice")";
  }
  return out + "}";
}

inline IdTokenExpectations expectations() {
  IdTokenExpectations expect;
  expect.issuer = std::string(kIssuer);
  expect.client_id = std::string(kClientId);
  expect.nonce = std::string(kNonce);
  expect.now = kNow;
  return expect;
}

// ---------------------------------------------------------------------------------------
// cookie: CookieCodec::openSession / openSessionIdentity / openLogin.
//
// Modes: 0 the raw cookie value; 1 the payload JSON, MAC-signed by the harness with and
// without a good secrets segment (reaches the payload parser, which the MAC otherwise guards); 2
// the encrypted secrets JSON, sealed by the harness into an otherwise valid session and login
// cookie; 3 a structured Session and LoginState built from the bytes, sealed and opened (round
// trip). Property for every mode: whatever opens re-seals and re-opens to the same fields.

// The wire form of session.h, rebuilt from the secret: "v1.<b64 json>.<b64 sealed>.<b64 mac>",
// MAC over "latchkey|v1|<purpose>|<b64 json>.<b64 sealed>", keys from HKDF (info strings of
// session.cc: the use, then the deployment scope, each field as "|<length>:<value>"). The
// sealed segment holds the encrypted secrets and may be empty.
inline const CookieScope kCookieScope{"oidc", "https://idp.example", "fuzz-client", "latchkey"};
inline constexpr std::string_view kCookieScopeInfo =
    "|4:oidc|19:https://idp.example|11:fuzz-client|8:latchkey";

class CookieForger {
 public:
  explicit CookieForger(std::string_view secret)
      : mac_(hkdfSha256(secret, "", "latchkey v1 cookie mac" + std::string(kCookieScopeInfo), 32)
                 .value()),
        enc_key_(hkdfSha256(secret, "",
                            "latchkey v1 token encryption" + std::string(kCookieScopeInfo), 32)
                     .value()) {}

  std::string seal(std::string_view purpose, std::string_view payload,
                   std::string_view sealed64 = {}) const {
    const std::string payload64 = base64UrlEncode(payload) + "." + std::string(sealed64);
    const auto mac = mac_.mac("latchkey|v1|" + std::string(purpose) + "|" + payload64);
    return "v1." + payload64 + "." +
           base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()),  // NOLINT
                                            mac.size()));
  }
  std::string encrypt(std::string_view plain, std::string_view aad) const {
    return base64UrlEncode(aesGcmSeal(enc_key_, plain, aad).value());
  }

 private:
  HmacSha256 mac_;
  std::string enc_key_;
};

inline constexpr std::string_view kCookieSecret = "fuzz-cookie-secret-0123456789abcdef!";
inline constexpr std::string_view kCookieSecretPrevious = "fuzz-previous-secret-0123456789abcdef";

struct CookieFixture {
  CookieCodec codec{kCookieSecret, kCookieSecretPrevious, kCookieScope};
  CookieForger forger{kCookieSecret};

  CookieFixture() {
    // If session.cc changes its wire form, modes 1 and 2 would silently stop reaching the
    // payload parser: fail loudly instead.
    Session s;
    s.sub = "x";
    s.issued_at = kNow;
    s.expires_at = kNow + 60;
    const std::string sealed = codec.sealSession(s);
    const size_t dot = sealed.find('.', 3);
    const auto payload = base64UrlDecode(std::string_view(sealed).substr(3, dot - 3));
    if (!payload || forger.seal("session", *payload) != sealed) {
      propertyFailed("harness cookie MAC no longer matches session.cc", __FILE__, __LINE__);
    }
  }
};

inline const CookieFixture& cookieFixture() {
  static const CookieFixture fixture;
  return fixture;
}

inline bool sameSession(const Session& a, const Session& b) {
  return a.sub == b.sub && a.email == b.email && a.email_verified == b.email_verified &&
         a.name == b.name && a.picture == b.picture && a.issued_at == b.issued_at &&
         a.expires_at == b.expires_at && a.access_token == b.access_token &&
         a.refresh_token == b.refresh_token && a.access_expires_at == b.access_expires_at;
}

inline bool sameLogin(const LoginState& a, const LoginState& b) {
  return a.state == b.state && a.nonce == b.nonce && a.code_verifier == b.code_verifier &&
         a.return_to == b.return_to && a.expires_at == b.expires_at;
}

// Opens value every way and checks the round-trip property on whatever opened.
inline void openCookieEveryWay(const CookieCodec& codec, std::string_view value) {
  if (auto full = codec.openSession(value, kNow)) {
    LATCHKEY_FUZZ_CHECK(full->expires_at > kNow);
    const std::string again = codec.sealSession(*full);
    if (again.size() <= kMaxCookieValueBytes) {  // re-encoding may grow (escapes, defaults)
      auto reopened = codec.openSession(again, kNow);
      LATCHKEY_FUZZ_CHECK(reopened.has_value());
      LATCHKEY_FUZZ_CHECK(sameSession(*full, *reopened));
    }
  }
  if (auto identity = codec.openSessionIdentity(value, kNow)) {
    LATCHKEY_FUZZ_CHECK(identity->access_token.empty() && identity->refresh_token.empty());
    const std::string again = codec.sealSession(*identity);
    if (again.size() <= kMaxCookieValueBytes) {
      auto reopened = codec.openSessionIdentity(again, kNow);
      LATCHKEY_FUZZ_CHECK(reopened.has_value());
      LATCHKEY_FUZZ_CHECK(sameSession(*identity, *reopened));
    }
  }
  if (auto login = codec.openLogin(value, kNow)) {
    LATCHKEY_FUZZ_CHECK(login->expires_at > kNow);
    const std::string again = codec.sealLogin(*login);
    if (again.size() <= kMaxCookieValueBytes) {
      auto reopened = codec.openLogin(again, kNow);
      LATCHKEY_FUZZ_CHECK(reopened.has_value());
      LATCHKEY_FUZZ_CHECK(sameLogin(*login, *reopened));
    }
  }
}

// Splits text at '\n' into at most n fields (missing ones are empty).
inline std::vector<std::string> fields(std::string_view text, size_t n) {
  std::vector<std::string> out;
  while (out.size() + 1 < n) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      break;
    }
    out.emplace_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  out.emplace_back(text);
  out.resize(n);
  return out;
}

inline int fuzzCookie(const uint8_t* data, size_t size) {
  const auto input = splitMode(data, size, 4);
  if (!input) {
    return 0;
  }
  const CookieFixture& fx = cookieFixture();
  switch (input->mode) {
    case 0:
      openCookieEveryWay(fx.codec, input->rest);
      break;
    case 1: {
      // With and without a good secrets segment: a login cookie always needs one.
      static const std::string tokens =
          fx.forger.encrypt(R"({"a":"at","r":"rt"})", "latchkey|v1|session|tokens");
      static const std::string secrets =
          fx.forger.encrypt(R"({"n":"n","v":"v"})", "latchkey|v1|login|secrets");
      openCookieEveryWay(fx.codec, fx.forger.seal("session", input->rest));
      openCookieEveryWay(fx.codec, fx.forger.seal("session", input->rest, tokens));
      openCookieEveryWay(fx.codec, fx.forger.seal("login", input->rest, secrets));
      break;
    }
    case 2: {
      const std::string tok = fx.forger.encrypt(input->rest, "latchkey|v1|session|tokens");
      openCookieEveryWay(
          fx.codec,
          fx.forger.seal("session", R"({"sub":"u","iat":1700000000,"exp":1700003600})", tok));
      const std::string sec = fx.forger.encrypt(input->rest, "latchkey|v1|login|secrets");
      openCookieEveryWay(fx.codec,
                         fx.forger.seal("login", R"({"st":"s","rd":"/","exp":1700000600})", sec));
      break;
    }
    default: {
      // Fields one per line: sub email name picture access refresh, then the same bytes
      // serve as state, nonce, verifier and return_to of a login state.
      const auto f = fields(input->rest, 6);
      Session s;
      s.sub = f[0];
      s.email = f[1];
      s.email_verified = (size % 2) == 0;
      s.name = f[2];
      s.picture = f[3];
      s.access_token = f[4];
      s.refresh_token = f[5];
      s.issued_at = kNow - static_cast<int64_t>(size);
      s.expires_at = kNow + 1 + static_cast<int64_t>(size);
      s.access_expires_at = static_cast<int64_t>(size) * 7;
      const std::string sealed = fx.codec.sealSession(s);
      auto opened = fx.codec.openSession(sealed, kNow);
      if (sealed.size() <= kMaxCookieValueBytes) {
        LATCHKEY_FUZZ_CHECK(opened.has_value());
        LATCHKEY_FUZZ_CHECK(sameSession(s, *opened));
      } else {
        LATCHKEY_FUZZ_CHECK(!opened.has_value());
      }
      LoginState l;
      l.state = f[0];
      l.nonce = f[1];
      l.code_verifier = f[2];
      l.return_to = f[3];
      l.expires_at = kNow + 600;
      const std::string sealed_login = fx.codec.sealLogin(l);
      auto opened_login = fx.codec.openLogin(sealed_login, kNow);
      if (sealed_login.size() <= kMaxCookieValueBytes) {
        LATCHKEY_FUZZ_CHECK(opened_login.has_value());
        LATCHKEY_FUZZ_CHECK(sameLogin(l, *opened_login));
      }
      // A login cookie is never a session cookie and vice versa (purpose in the MAC).
      LATCHKEY_FUZZ_CHECK(!fx.codec.openSession(sealed_login, kNow).has_value());
      LATCHKEY_FUZZ_CHECK(!fx.codec.openLogin(sealed, kNow).has_value());
      break;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// cookie_header: parseCookieHeader.

inline int fuzzCookieHeader(const uint8_t* data, size_t size) {
  const auto pairs = parseCookieHeader(asText(data, size));
  LATCHKEY_FUZZ_CHECK(pairs.size() <= kMaxCookies);
  for (const auto& [name, value] : pairs) {
    LATCHKEY_FUZZ_CHECK(!name.empty());
    LATCHKEY_FUZZ_CHECK(name.find(';') == std::string::npos);
    LATCHKEY_FUZZ_CHECK(name.find('=') == std::string::npos);
    LATCHKEY_FUZZ_CHECK(value.find(';') == std::string::npos);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// urlencoded: parseUrlEncoded (query strings and form bodies).
// Property: whatever parses, re-encoded with formBody, parses to the same pairs.

inline int fuzzUrlEncoded(const uint8_t* data, size_t size) {
  auto pairs = parseUrlEncoded(asText(data, size));
  if (!pairs) {
    LATCHKEY_FUZZ_CHECK(pairs.error().code == Errc::kBadRequest);
    return 0;
  }
  auto again = parseUrlEncoded(formBody(*pairs));
  LATCHKEY_FUZZ_CHECK(again.has_value());
  // formBody writes "name=" for an empty value; "a" and "a=" both parse to ("a", "").
  LATCHKEY_FUZZ_CHECK(*again == *pairs);
  return 0;
}

// ---------------------------------------------------------------------------------------
// percent_decode: percentDecode (mode 0: path form, 1: form with '+' as space), plus the
// base64 / base64url decoders every cookie and JWS goes through (mode 2).

inline int fuzzPercentDecode(const uint8_t* data, size_t size) {
  const auto input = splitMode(data, size, 3);
  if (!input) {
    return 0;
  }
  if (input->mode < 2) {
    const bool plus = input->mode == 1;
    auto decoded = percentDecode(input->rest, plus);
    if (decoded) {
      LATCHKEY_FUZZ_CHECK(decoded->size() <= input->rest.size());
      auto round_trip = percentDecode(urlEncode(*decoded), plus);
      LATCHKEY_FUZZ_CHECK(round_trip.has_value() && *round_trip == *decoded);
    }
    return 0;
  }
  if (auto bytes = base64UrlDecode(input->rest)) {
    // Canonical only: decoding then encoding gives back the same text.
    LATCHKEY_FUZZ_CHECK(base64UrlEncode(*bytes) == input->rest);
  }
  if (auto bytes = base64Decode(input->rest)) {
    auto again = base64Decode(base64Encode(*bytes));
    LATCHKEY_FUZZ_CHECK(again.has_value() && *again == *bytes);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// path: normalizePath.
// Properties: an absolute path, no empty / "." / ".." segment, no control character, and
// normalising again changes nothing (when no '%' is left to decode).

inline int fuzzPath(const uint8_t* data, size_t size) {
  auto path = normalizePath(asText(data, size));
  if (!path) {
    LATCHKEY_FUZZ_CHECK(path.error().code == Errc::kBadRequest);
    return 0;
  }
  const std::string& p = *path;
  LATCHKEY_FUZZ_CHECK(!p.empty() && p[0] == '/');
  LATCHKEY_FUZZ_CHECK(p.find("//") == std::string::npos);
  LATCHKEY_FUZZ_CHECK(p.find("/./") == std::string::npos && p.find("/../") == std::string::npos);
  LATCHKEY_FUZZ_CHECK(!p.ends_with("/.") && !p.ends_with("/.."));
  for (unsigned char c : p) {
    LATCHKEY_FUZZ_CHECK(c >= 0x20 && c != 0x7f);
  }
  if (p.find('%') == std::string::npos) {
    auto again = normalizePath(p);
    LATCHKEY_FUZZ_CHECK(again.has_value() && *again == p);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// request: requestFromParams. Input: "NAME=VALUE" lines, an empty line, then the body.
// The pseudo-parameter LATCHKEY_FUZZ_BASE_PATH, when present, is the base_path.

inline int fuzzRequest(const uint8_t* data, size_t size) {
  std::string_view text = asText(data, size);
  ParamMap params;
  std::string_view body;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) {
      body = text;
      break;
    }
    const size_t eq = line.find('=');
    params.emplace(std::string(line.substr(0, eq)),
                   eq == std::string_view::npos ? std::string() : std::string(line.substr(eq + 1)));
  }
  std::string base_path;
  if (auto it = params.find("LATCHKEY_FUZZ_BASE_PATH"); it != params.end()) {
    base_path = it->second;
    params.erase(it);
  }
  auto request = requestFromParams(params, body, base_path);
  if (!request) {
    return 0;
  }
  LATCHKEY_FUZZ_CHECK(!request->method.empty());
  LATCHKEY_FUZZ_CHECK(!request->path.empty() && request->path[0] == '/');
  for (unsigned char c : request->path) {
    LATCHKEY_FUZZ_CHECK(c >= 0x20 && c != 0x7f);
  }
  LATCHKEY_FUZZ_CHECK(request->cookies.size() <= kMaxCookies);
  LATCHKEY_FUZZ_CHECK(request->form.empty() || body.size() <= kMaxBodyBytes);
  // The accessors must agree with the vectors they read.
  for (const auto& [name, value] : request->query) {
    LATCHKEY_FUZZ_CHECK(request->queryParam(name).has_value());
  }
  for (const auto& [name, value] : request->cookies) {
    LATCHKEY_FUZZ_CHECK(request->cookie(name).has_value());
  }
  for (const auto& [name, value] : request->form) {
    LATCHKEY_FUZZ_CHECK(request->formField(name).has_value());
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// rd: safeReturnPath and safeReturnAddress (RFC 9700 §4.11 open redirectors).
// Property: the answer starts with one '/', never "//" or "/\", holds no control character
// and no raw byte a Location header may not carry, and still looks local once decoded.

inline bool looksLocalForBrowser(std::string_view p) {
  if (p.empty() || p[0] != '/') {
    return false;
  }
  if (p.size() > 1 && (p[1] == '/' || p[1] == '\\')) {
    return false;
  }
  for (unsigned char c : p) {
    if (c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

inline int fuzzReturnPath(const uint8_t* data, size_t size) {
  const std::string out = safeReturnPath(asText(data, size));
  LATCHKEY_FUZZ_CHECK(looksLocalForBrowser(out));
  for (unsigned char c : out) {
    LATCHKEY_FUZZ_CHECK(c > 0x20 && c < 0x7f);
  }
  if (auto decoded = percentDecode(out, false)) {
    LATCHKEY_FUZZ_CHECK(looksLocalForBrowser(*decoded));
  }
  // With allowed_redirect_domains: local as above, or "https://" + a listed host + a path that
  // is local, ASCII, and has no backslash a browser could read as another authority.
  static const std::vector<RedirectHost> kAllowed = {*parseRedirectHost("app1.example.com"),
                                                     *parseRedirectHost(".apps.example.com")};
  const std::string address = safeReturnAddress(asText(data, size), kAllowed);
  if (!looksLocalForBrowser(address)) {
    constexpr std::string_view kScheme = "https://";
    LATCHKEY_FUZZ_CHECK(address.starts_with(kScheme));
    const size_t slash = address.find('/', kScheme.size());
    LATCHKEY_FUZZ_CHECK(slash != std::string::npos);
    const std::string host = address.substr(kScheme.size(), slash - kScheme.size());
    LATCHKEY_FUZZ_CHECK(host == "app1.example.com" || host.ends_with(".apps.example.com"));
    LATCHKEY_FUZZ_CHECK(looksLocalForBrowser(address.substr(slash)));
    for (unsigned char c : address) {
      LATCHKEY_FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '\\');
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// jws: parseCompactJws, verifyJwsSignature, verifyIdToken against the fixed JWKS.
//
// Modes: 0 the raw compact token; 1 the claims JSON, signed by the harness with the fixed
// Ed25519 key (reaches the claims checks, which the signature otherwise guards); 2 the
// header JSON, with good claims, signed the same way.
// Properties: a token that verifies has alg EdDSA (only the Ed25519 key can sign: anything
// else verifying would be algorithm confusion), a non-empty sub, and claims within the window.

inline void checkVerifiedToken(std::string_view compact) {
  auto claims = verifyIdToken(compact, fixedKeys(), expectations());
  if (!claims) {
    return;
  }
  auto jws = parseCompactJws(compact);
  LATCHKEY_FUZZ_CHECK(jws.has_value());
  LATCHKEY_FUZZ_CHECK(jws->alg == "EdDSA");
  LATCHKEY_FUZZ_CHECK(verifyJwsSignature(*jws, fixedKeys()).ok());
  LATCHKEY_FUZZ_CHECK(!claims->sub.empty());
  LATCHKEY_FUZZ_CHECK(claims->exp > kNow - 60);
  LATCHKEY_FUZZ_CHECK(claims->iat <= kNow + 60);
}

inline int fuzzJws(const uint8_t* data, size_t size) {
  const auto input = splitMode(data, size, 3);
  if (!input) {
    return 0;
  }
  switch (input->mode) {
    case 0: {
      if (auto jws = parseCompactJws(input->rest)) {
        LATCHKEY_FUZZ_CHECK(!jws->alg.empty() && !jws->signature.empty());
        LATCHKEY_FUZZ_CHECK(input->rest.starts_with(jws->signing_input));
        LATCHKEY_FUZZ_CHECK(input->rest.size() <= kMaxCompactJwsSize);
        Status verified = verifyJwsSignature(*jws, fixedKeys());
        LATCHKEY_FUZZ_CHECK(!verified.ok() || isAllowedJwsAlg(jws->alg));
      }
      checkVerifiedToken(input->rest);
      break;
    }
    case 1:
      checkVerifiedToken(signer().compact(FixedSigner::kHeader, input->rest));
      break;
    default:
      checkVerifiedToken(signer().compact(input->rest, goodClaims(true)));
      break;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// jwks: parseJwks, then key selection for fixed tokens against whatever set came out.

inline int fuzzJwks(const uint8_t* data, size_t size) {
  auto set = parseJwks(asText(data, size));
  if (!set) {
    LATCHKEY_FUZZ_CHECK(set.error().code == Errc::kJwksInvalid);
    return 0;
  }
  LATCHKEY_FUZZ_CHECK(set->keys.size() <= 64);
  for (const Jwk& key : set->keys) {
    LATCHKEY_FUZZ_CHECK(key.kty == "RSA" || key.kty == "EC" || key.kty == "OKP");
    LATCHKEY_FUZZ_CHECK(key.alg.empty() || isAllowedJwsAlg(key.alg));
  }
  static const std::vector<std::string> tokens = [] {
    const std::string input =
        base64UrlEncode(R"({"alg":"ES256","kid":"ec"})") + "." + base64UrlEncode(goodClaims(true));
    const std::string rsa =
        base64UrlEncode(R"({"alg":"RS256"})") + "." + base64UrlEncode(goodClaims(true));
    return std::vector<std::string>{signer().compact(FixedSigner::kHeader, goodClaims(true)),
                                    signer().compact(R"({"alg":"EdDSA"})", goodClaims(true)),
                                    input + "." + base64UrlEncode(std::string(64, '\x01')),
                                    rsa + "." + base64UrlEncode(std::string(256, '\x02'))};
  }();
  for (const std::string& token : tokens) {
    auto jws = parseCompactJws(token);
    LATCHKEY_FUZZ_CHECK(jws.has_value());
    if (verifyJwsSignature(*jws, *set).ok()) {
      // Only the Ed25519 tokens carry a real signature.
      LATCHKEY_FUZZ_CHECK(jws->alg == "EdDSA");
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// discovery: parseDiscovery. Mode picks the HTTP status (mostly 200).

inline int fuzzDiscovery(const uint8_t* data, size_t size) {
  const auto input = splitMode(data, size, 8);
  if (!input) {
    return 0;
  }
  static constexpr long kStatuses[8] = {200, 200, 200, 200, 200, 404, 500, 301};
  HttpResponse response;
  response.status = kStatuses[input->mode];
  response.body = std::string(input->rest);
  (void)isHttpsOrLoopbackUrl(input->rest);
  (void)discoveryUrl(input->rest);
  auto doc = parseDiscovery(response, kIssuer);
  if (!doc) {
    LATCHKEY_FUZZ_CHECK(doc.error().code == Errc::kDiscoveryFailed ||
                        doc.error().code == Errc::kDiscoveryIssuerMismatch);
    return 0;
  }
  LATCHKEY_FUZZ_CHECK(response.status == 200);
  LATCHKEY_FUZZ_CHECK(doc->issuer == kIssuer);
  LATCHKEY_FUZZ_CHECK(isHttpsOrLoopbackUrl(doc->authorization_endpoint));
  LATCHKEY_FUZZ_CHECK(isHttpsOrLoopbackUrl(doc->token_endpoint));
  LATCHKEY_FUZZ_CHECK(isHttpsOrLoopbackUrl(doc->jwks_uri));
  LATCHKEY_FUZZ_CHECK(doc->userinfo_endpoint.empty() ||
                      isHttpsOrLoopbackUrl(doc->userinfo_endpoint));
  LATCHKEY_FUZZ_CHECK(doc->revocation_endpoint.empty() ||
                      isHttpsOrLoopbackUrl(doc->revocation_endpoint));
  return 0;
}

// ---------------------------------------------------------------------------------------
// token_response: parseTokenResponse, tokenErrorCode, sanitizeForLog.
// Mode bits: 0-1 status (200, 200, 400, 500), 2 require_id_token, 3 refresh (invalid_grant).

inline int fuzzTokenResponse(const uint8_t* data, size_t size) {
  const auto input = splitMode(data, size, 16);
  if (!input) {
    return 0;
  }
  static constexpr long kStatuses[4] = {200, 200, 400, 500};
  HttpResponse response;
  response.status = kStatuses[input->mode & 3];
  response.body = std::string(input->rest);
  TokenParseOptions options;
  options.require_id_token = (input->mode & 4) != 0;
  options.invalid_grant =
      (input->mode & 8) != 0 ? Errc::kRefreshFailed : Errc::kTokenEndpointRefusedGrant;

  (void)tokenErrorCode(response);
  const std::string clean = sanitizeForLog(input->rest);
  LATCHKEY_FUZZ_CHECK(clean.size() <= 203);
  for (unsigned char c : clean) {
    LATCHKEY_FUZZ_CHECK(c >= 0x20 && c < 0x7f && c != '"' && c != '\\');
  }
  auto tokens = parseTokenResponse(response, options);
  if (!tokens) {
    return 0;
  }
  LATCHKEY_FUZZ_CHECK(response.status == 200);
  LATCHKEY_FUZZ_CHECK(!tokens->access_token.empty());
  LATCHKEY_FUZZ_CHECK(!options.require_id_token || !tokens->id_token.empty());
  LATCHKEY_FUZZ_CHECK(!tokens->expires_in || *tokens->expires_in >= 0);
  return 0;
}

// ---------------------------------------------------------------------------------------
// userinfo: the provider code end to end with an HttpClient that answers one URL with the
// fuzz input and every other with a good canned answer.
//
// Modes: 0 OIDC userinfo body (the ID token has no e-mail, so userinfo is needed);
// 1 OIDC token response body (the seed carries a real signed ID token); 2 OIDC refresh
// token response; 3 GitHub token response; 4 GitHub /user; 5 GitHub /user/emails.
// Properties: the subject always comes from the ID token (or GitHub's numeric id), and a
// GitHub sign-in never succeeds without a verified primary e-mail address.

class CannedHttpClient final : public HttpClient {
 public:
  void canned(const std::string& url, std::string body) { answers_[url] = std::move(body); }
  void fuzzed(std::string url, std::string_view body) {
    fuzz_url_ = std::move(url);
    fuzz_body_ = std::string(body);
  }

  Result<HttpResponse> send(const HttpRequest& request) override {
    HttpResponse response;
    response.status = 200;
    if (request.url == fuzz_url_) {
      response.body = fuzz_body_;
    } else if (auto it = answers_.find(request.url); it != answers_.end()) {
      response.body = it->second;
    } else {
      response.status = 404;
    }
    return response;
  }

 private:
  std::map<std::string, std::string> answers_;
  std::string fuzz_url_;
  std::string fuzz_body_;
};

struct ProviderFixture {
  FixedClock clock;
  CannedHttpClient http;
  Config oidc_config;
  Config github_config;
  std::unique_ptr<IdentityProvider> oidc;
  std::unique_ptr<IdentityProvider> github;

  static constexpr const char* kToken = "https://idp.example/token";
  static constexpr const char* kUserinfo = "https://idp.example/userinfo";
  static constexpr const char* kGithubToken = "https://github.com/login/oauth/access_token";
  static constexpr const char* kGithubUser = "https://api.github.com/user";
  static constexpr const char* kGithubEmails = "https://api.github.com/user/emails";

  ProviderFixture() {
    http.canned("https://idp.example/.well-known/openid-configuration",
                R"({"issuer":"https://idp.example",)"
                R"("authorization_endpoint":"https://idp.example/authorize",)"
                R"("token_endpoint":"https://idp.example/token",)"
                R"("jwks_uri":"https://idp.example/jwks",)"
                R"("userinfo_endpoint":"https://idp.example/userinfo"})");
    http.canned("https://idp.example/jwks", signer().jwks());
    http.canned(kToken, R"({"access_token":"at-1","token_type":"Bearer","expires_in":3600,)"
                        R"("refresh_token":"rt-1","id_token":")" +
                            signer().compact(FixedSigner::kHeader, goodClaims(false)) + "\"}");
    http.canned(kUserinfo, R"({"sub":"user-1","email":"alice@example.com","email_verified":true})");
    http.canned(kGithubToken,
                R"({"access_token":"gho_1","token_type":"bearer","scope":"user:email"})");
    http.canned(kGithubUser, R"({"id":42,"login":"alice","name":"Alice"})");
    http.canned(kGithubEmails, R"([{"email":"alice@example.com","primary":true,"verified":true}])");

    oidc_config.provider = ProviderKind::kOidc;
    oidc_config.issuer = std::string(kIssuer);
    oidc_config.client_id = std::string(kClientId);
    oidc_config.client_secret = "secret-1";
    oidc_config.redirect_uri = "https://app.example/oauth2/login/authorized";
    oidc_config.scopes = {"openid", "email", "profile"};
    github_config = oidc_config;
    github_config.provider = ProviderKind::kGithub;
    github_config.issuer.clear();
    github_config.scopes = {"read:user", "user:email"};
    oidc = makeIdentityProvider(oidc_config, http, clock);
    github = makeIdentityProvider(github_config, http, clock);
  }
};

inline ProviderFixture& providerFixture() {
  static ProviderFixture fixture;
  return fixture;
}

inline int fuzzUserinfo(const uint8_t* data, size_t size) {
  const auto input = splitMode(data, size, 6);
  if (!input) {
    return 0;
  }
  ProviderFixture& fx = providerFixture();
  static constexpr const char* kTargets[6] = {
      ProviderFixture::kUserinfo,    ProviderFixture::kToken,      ProviderFixture::kToken,
      ProviderFixture::kGithubToken, ProviderFixture::kGithubUser, ProviderFixture::kGithubEmails};
  fx.http.fuzzed(kTargets[input->mode], input->rest);
  CodeRedemption redemption{"code-1", "verifier-0123456789012345678901234567890123",
                            std::string(kNonce)};
  if (input->mode == 2) {
    if (auto tokens = fx.oidc->refresh("rt-1")) {
      LATCHKEY_FUZZ_CHECK(!tokens->access_token.empty());
    }
  } else if (input->mode <= 1) {
    if (auto sign_in = fx.oidc->redeemCode(redemption)) {
      LATCHKEY_FUZZ_CHECK(sign_in->identity.sub == kSubject);
      LATCHKEY_FUZZ_CHECK(!sign_in->tokens.access_token.empty());
    }
  } else {
    if (auto sign_in = fx.github->redeemCode(redemption)) {
      const std::string& sub = sign_in->identity.sub;
      LATCHKEY_FUZZ_CHECK(!sub.empty() && sub[0] != '0' &&
                          sub.find_first_not_of("0123456789") == std::string::npos);
      // Only the primary address; when GitHub has not verified it, it is marked so and the
      // default e-mail policy refuses it.
      LATCHKEY_FUZZ_CHECK(!sign_in->identity.email.empty());
      LATCHKEY_FUZZ_CHECK(sign_in->identity.email_verified ||
                          !checkEmailPolicy(Config{}, sign_in->identity.email, false));
    }
  }
  fx.http.fuzzed("", "");
  return 0;
}

// ---------------------------------------------------------------------------------------
// config: parseConfig with an empty environment.
// Property: exactly one of a config or a non-empty list of one-line problems.

inline int fuzzConfig(const uint8_t* data, size_t size) {
  const std::string_view text = asText(data, size);
  // *_file, ca_file and templates_dir name files that are read: keep the fuzzer away from
  // devices that never end or block (/dev/zero, /dev/stdin, /proc/self/...).
  for (std::string_view risky : {"/dev", "/proc", "/sys", "/run", "fifo"}) {
    if (text.find(risky) != std::string_view::npos) {
      return 0;
    }
  }
  const ConfigLoad load = parseConfig(text, Environment{});
  if (!load.config) {
    LATCHKEY_FUZZ_CHECK(!load.problems.empty());
    for (const std::string& problem : load.problems) {
      LATCHKEY_FUZZ_CHECK(!problem.empty());
      LATCHKEY_FUZZ_CHECK(problem.find('\n') == std::string::npos);
    }
    return 0;
  }
  LATCHKEY_FUZZ_CHECK(load.problems.empty());
  const Config& c = *load.config;
  LATCHKEY_FUZZ_CHECK(c.cookie_secret.size() >= 32);
  LATCHKEY_FUZZ_CHECK(!c.cookie_secret_previous || c.cookie_secret_previous->size() >= 32);
  LATCHKEY_FUZZ_CHECK(c.session_lifetime > 0);
  LATCHKEY_FUZZ_CHECK(c.http_timeout > 0);
  LATCHKEY_FUZZ_CHECK(!c.client_id.empty());
  LATCHKEY_FUZZ_CHECK(c.base_path.empty() ||
                      (c.base_path[0] == '/' && !c.base_path.ends_with("/")));
  (void)providerDisplayName(c);
  return 0;
}

// ---------------------------------------------------------------------------------------
// Every target by name: the corpus directory tests/fuzz/corpus/<name>/ and <name>_fuzzer.

using TargetFn = int (*)(const uint8_t*, size_t);
struct Target {
  const char* name;
  TargetFn run;
};

inline constexpr Target kTargets[] = {
    {"cookie", fuzzCookie},
    {"cookie_header", fuzzCookieHeader},
    {"urlencoded", fuzzUrlEncoded},
    {"percent_decode", fuzzPercentDecode},
    {"path", fuzzPath},
    {"request", fuzzRequest},
    {"rd", fuzzReturnPath},
    {"jws", fuzzJws},
    {"jwks", fuzzJwks},
    {"discovery", fuzzDiscovery},
    {"token_response", fuzzTokenResponse},
    {"userinfo", fuzzUserinfo},
    {"config", fuzzConfig},
};

}  // namespace latchkey::fuzz

// The libFuzzer entry point of one target (used once per *_fuzzer.cc).
#define LATCHKEY_FUZZ_TARGET(fn)                                            \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    return ::latchkey::fuzz::fn(data, size);                                \
  }
