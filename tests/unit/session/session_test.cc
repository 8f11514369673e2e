#include "latchkey/session/session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"

namespace latchkey {
namespace {

constexpr int64_t kNow = 1700000000;
const std::string kSecret(32, 'a');
const std::string kOldSecret(32, 'b');
const CookieScope kScope{"oidc", "https://idp.example", "client-1", "__Host-latchkey"};

Session sampleSession() {
  Session s;
  s.sub = "1234567890";
  s.sid = "sid-0123456789abcdef";
  s.email = "ada@example.com";
  s.email_verified = true;
  s.name = "Ada \"<Lovelace>\" \xc3\xa9";
  s.picture = "https://example.com/p.png";
  s.issued_at = kNow;
  s.expires_at = kNow + 3600;
  s.access_token = "ya29.ACCESS-TOKEN-PLAINTEXT";
  s.refresh_token = "1//REFRESH-TOKEN-PLAINTEXT";
  s.access_expires_at = kNow + 1800;
  return s;
}

LoginState sampleLogin() {
  LoginState l;
  l.state = "state-abc";
  l.nonce = "nonce-def";
  l.code_verifier = "verifier-ghi";
  l.return_to = "/app?x=1";
  l.expires_at = kNow + 600;
  return l;
}

// The readable JSON part of a cookie value: v1.<json64>.<sealed64>.<mac64>.
std::string readablePart(const std::string& value) {
  const size_t first = value.find('.');
  const size_t second = value.find('.', first + 1);
  return base64UrlDecode(value.substr(first + 1, second - first - 1)).value_or("<bad>");
}

void expectSameSession(const Session& a, const Session& b) {
  EXPECT_EQ(a.sid, b.sid);
  EXPECT_EQ(a.sub, b.sub);
  EXPECT_EQ(a.email, b.email);
  EXPECT_EQ(a.email_verified, b.email_verified);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.picture, b.picture);
  EXPECT_EQ(a.issued_at, b.issued_at);
  EXPECT_EQ(a.expires_at, b.expires_at);
  EXPECT_EQ(a.access_token, b.access_token);
  EXPECT_EQ(a.refresh_token, b.refresh_token);
  EXPECT_EQ(a.access_expires_at, b.access_expires_at);
}

// A sealed session opens to exactly the same fields, tokens included.
TEST(Session, RoundTripsEveryField) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  const std::string value = codec.sealSession(sampleSession());
  EXPECT_TRUE(value.starts_with("v1."));
  auto opened = codec.openSession(value, kNow);
  ASSERT_TRUE(opened) << errcName(opened.error().code);
  expectSameSession(*opened, sampleSession());
}

// A session without tokens, and one with odd bytes in its claims, round-trip too.
TEST(Session, RoundTripsWithoutTokensAndWithOddBytes) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  Session s = sampleSession();
  s.access_token.clear();
  s.refresh_token.clear();
  s.name = std::string("nul\0ctl\x01\xff\"\\", 11);
  auto opened = codec.openSession(codec.sealSession(s), kNow);
  ASSERT_TRUE(opened);
  expectSameSession(*opened, s);
}

// A cookie sealed before sessions had ids (no "sid" member) still opens, with an empty sid,
// and the identity fast path reads the sid too (the revocation check needs it).
TEST(Session, SidIsOptionalAndReadOnTheFastPath) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  Session old = sampleSession();
  old.sid.clear();
  const std::string value = codec.sealSession(old);
  EXPECT_EQ(readablePart(value).find("\"sid\""), std::string::npos);
  auto opened = codec.openSessionIdentity(value, kNow);
  ASSERT_TRUE(opened);
  EXPECT_TRUE(opened->sid.empty());
  auto with_sid = codec.openSessionIdentity(codec.sealSession(sampleSession()), kNow);
  ASSERT_TRUE(with_sid);
  EXPECT_EQ(with_sid->sid, "sid-0123456789abcdef");
}

// Values kept outside the cookie: secret, bound to their label, readable after rotation.
TEST(Session, SealedValuesAreBoundToTheirLabel) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  const std::string sealed = codec.sealValue("id_token", "eyJ.header.sig").value();
  EXPECT_EQ(sealed.find("eyJ"), std::string::npos);
  EXPECT_EQ(codec.openValue("id_token", sealed), "eyJ.header.sig");
  EXPECT_FALSE(codec.openValue("other", sealed));
  EXPECT_FALSE(codec.openValue("id_token", sealed.substr(1)));
  const CookieCodec rotated(kOldSecret, std::string_view(kSecret), kScope);
  EXPECT_EQ(rotated.openValue("id_token", sealed), "eyJ.header.sig");
  EXPECT_FALSE(CookieCodec(kOldSecret, std::nullopt, kScope).openValue("id_token", sealed));
}

// The identity fast path returns the claims but leaves the tokens empty.
TEST(Session, IdentityOpenLeavesTokensEmpty) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  auto opened = codec.openSessionIdentity(codec.sealSession(sampleSession()), kNow);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->sub, "1234567890");
  EXPECT_EQ(opened->email, "ada@example.com");
  EXPECT_EQ(opened->access_expires_at, kNow + 1800);
  EXPECT_TRUE(opened->access_token.empty());
  EXPECT_TRUE(opened->refresh_token.empty());
}

// Tokens never appear in the cookie text or in its decoded payload; identity does.
TEST(Session, TokensAreNotReadableInTheCookie) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  const std::string value = codec.sealSession(sampleSession());
  const std::string payload = readablePart(value);
  EXPECT_NE(payload.find("ada@example.com"), std::string::npos);
  for (const std::string& secret : {sampleSession().access_token, sampleSession().refresh_token,
                                    std::string("TOKEN-PLAINTEXT")}) {
    EXPECT_EQ(payload.find(secret), std::string::npos);
    EXPECT_EQ(value.find(secret), std::string::npos);
  }
  // The third segment is ciphertext: decoding it does not reveal the tokens either.
  const size_t second = value.find('.', value.find('.') + 1);
  const auto sealed = base64UrlDecode(value.substr(second + 1, value.rfind('.') - second - 1));
  ASSERT_TRUE(sealed);
  EXPECT_GE(sealed->size(), 28u);
  EXPECT_EQ(sealed->find("TOKEN-PLAINTEXT"), std::string::npos);
}

// exp <= now is expired; one second before is still valid.
TEST(Session, ExpiresAtExp) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  const std::string value = codec.sealSession(sampleSession());
  EXPECT_TRUE(codec.openSession(value, kNow + 3599));
  auto expired = codec.openSession(value, kNow + 3600);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, Errc::kCookieExpired);
  EXPECT_EQ(codec.openSessionIdentity(value, kNow + 7200).error().code, Errc::kCookieExpired);
}

// A cookie made under another secret is refused as a bad signature.
TEST(Session, WrongSecretIsRefused) {
  const CookieCodec maker(kOldSecret, std::nullopt, kScope);
  const CookieCodec checker(kSecret, std::nullopt, kScope);
  auto opened = checker.openSession(maker.sealSession(sampleSession()), kNow);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::kCookieBadSignature);
}

// Rotation: old cookies open (tokens too) while the old secret is "previous"; new cookies
// are sealed under the current secret only; without "previous" old cookies are refused.
TEST(Session, RotationAcceptsPreviousSealsWithCurrent) {
  const CookieCodec old_codec(kOldSecret, std::nullopt, kScope);
  const CookieCodec rotated(kSecret, std::string_view(kOldSecret), kScope);
  const std::string old_value = old_codec.sealSession(sampleSession());
  auto opened = rotated.openSession(old_value, kNow);
  ASSERT_TRUE(opened);
  expectSameSession(*opened, sampleSession());

  const std::string new_value = rotated.sealSession(sampleSession());
  EXPECT_TRUE(CookieCodec(kSecret, std::nullopt, kScope).openSession(new_value, kNow));
  EXPECT_FALSE(old_codec.openSession(new_value, kNow));

  EXPECT_EQ(CookieCodec(kSecret, std::nullopt, kScope).openSession(old_value, kNow).error().code,
            Errc::kCookieBadSignature);
}

// Two deployments that share a cookie secret never accept each other's cookies: any change
// of provider, issuer, client id or cookie name gives other keys (sessions and login state),
// and moving a byte between fields is a change too.
TEST(Session, CookiesAreBoundToTheirDeployment) {
  const CookieCodec here(kSecret, std::nullopt, kScope);
  const std::string session = here.sealSession(sampleSession());
  const std::string login = here.sealLogin(sampleLogin());
  const std::vector<CookieScope> others = {
      {"google", "https://idp.example", "client-1", "__Host-latchkey"},
      {"oidc", "https://other-idp.example", "client-1", "__Host-latchkey"},
      {"oidc", "https://idp.example", "client-2", "__Host-latchkey"},
      {"oidc", "https://idp.example", "client-1", "__Host-other"},
      {"oidc", "https://idp.example/", "client-1", "__Host-latchkey"},
      {"oidc", "https://idp.exampl", "eclient-1", "__Host-latchkey"},
  };
  for (const CookieScope& scope : others) {
    const CookieCodec there(kSecret, std::string_view(kSecret), scope);
    SCOPED_TRACE(scope.provider + " " + scope.issuer + " " + scope.client_id + " " +
                 scope.cookie_name);
    EXPECT_EQ(there.openSession(session, kNow).error().code, Errc::kCookieBadSignature);
    EXPECT_EQ(there.openSessionIdentity(session, kNow).error().code, Errc::kCookieBadSignature);
    EXPECT_EQ(there.openLogin(login, kNow).error().code, Errc::kCookieBadSignature);
    EXPECT_FALSE(here.openSession(there.sealSession(sampleSession()), kNow));
  }
  EXPECT_TRUE(CookieCodec(kSecret, std::nullopt, kScope).openSession(session, kNow));
}

// The scope of a configuration is its provider, issuer, client id and cookie name.
TEST(Session, ScopeComesFromTheConfiguration) {
  Config config;
  config.provider = ProviderKind::kGithub;
  config.issuer = "https://github.example.com";
  config.client_id = "gh-client";
  config.cookie_name = "latchkey";
  const CookieScope scope = cookieScope(config);
  EXPECT_EQ(scope.provider, "github");
  EXPECT_EQ(scope.issuer, "https://github.example.com");
  EXPECT_EQ(scope.client_id, "gh-client");
  EXPECT_EQ(scope.cookie_name, "latchkey");
}

// Every single-byte change anywhere in a valid cookie is refused.
TEST(Session, EverySingleByteChangeIsRefused) {
  const CookieCodec codec(kSecret, std::string_view(kOldSecret), kScope);
  const std::string value = codec.sealSession(sampleSession());
  const char replacements[] = {'A', 'B', 'a', 'z', '0', '9',  '-',    '_',
                               '.', '=', '+', '/', ' ', '\0', '\x80', '\xff'};
  for (size_t i = 0; i < value.size(); ++i) {
    for (const char r : replacements) {
      if (value[i] == r)
        continue;
      std::string bad = value;
      bad[i] = r;
      EXPECT_FALSE(codec.openSession(bad, kNow)) << "position " << i << " byte " << int(r);
      EXPECT_FALSE(codec.openSessionIdentity(bad, kNow)) << "position " << i;
    }
    // Flipping the lowest bit covers the canonical-base64 neighbours too.
    std::string flipped = value;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    EXPECT_FALSE(codec.openSession(flipped, kNow)) << "position " << i;
  }
}

// The encrypted segment of one cookie cannot be moved into another (the MAC covers it).
TEST(Session, SealedSegmentCannotBeTransplanted) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  Session other = sampleSession();
  other.sub = "mallory";
  other.access_token = "mallory-token";
  const std::string a = codec.sealSession(sampleSession());
  const std::string b = codec.sealSession(other);
  const auto parts = [](const std::string& v) {
    const size_t first = v.find('.');
    const size_t second = v.find('.', first + 1);
    return std::pair{v.substr(0, second + 1), v.substr(second + 1, v.rfind('.') - second - 1)};
  };
  const std::string spliced = parts(b).first + parts(a).second + a.substr(a.rfind('.'));
  EXPECT_EQ(codec.openSession(spliced, kNow).error().code, Errc::kCookieBadSignature);
  EXPECT_EQ(codec.openSessionIdentity(spliced, kNow).error().code, Errc::kCookieBadSignature);
}

// Every truncation, and the empty value, is refused; so are appended bytes.
TEST(Session, TruncatedOrExtendedValuesAreRefused) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  const std::string value = codec.sealSession(sampleSession());
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(codec.openSession(value.substr(0, n), kNow)) << n;
  }
  EXPECT_EQ(codec.openSession("", kNow).error().code, Errc::kCookieMalformed);
  EXPECT_FALSE(codec.openSession(value + "A", kNow));
  EXPECT_FALSE(codec.openSession(value + ".", kNow));
  EXPECT_FALSE(codec.openSession(" " + value, kNow));
}

// Garbage of any shape, including 100 KB of it, is a clean malformed error.
TEST(Session, GarbageIsRefused) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  const std::string big = "v1." + std::string(100 * 1024, 'A') + "." + std::string(43, 'A');
  EXPECT_EQ(codec.openSession(big, kNow).error().code, Errc::kCookieMalformed);
  EXPECT_EQ(codec.openSession(std::string(100 * 1024, '\xff'), kNow).error().code,
            Errc::kCookieMalformed);
  for (const char* g : {"v1", "v1.", "v1..", "v1...", "v1.e30.", "v2.e30..AAAA", "v1.e30",
                        "v1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                        "v1.e30..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                        "v1.e30.x.y.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    auto r = codec.openSession(g, kNow);
    ASSERT_FALSE(r) << g;
    EXPECT_TRUE(r.error().code == Errc::kCookieMalformed ||
                r.error().code == Errc::kCookieBadSignature)
        << g;
  }
  // Exactly at the limit is looked at; one byte over is not.
  std::string at_limit =
      "v1." + std::string(kMaxCookieValueBytes - 3 - 45, 'A') + ".." + std::string(43, 'A');
  ASSERT_EQ(at_limit.size(), kMaxCookieValueBytes);
  EXPECT_EQ(codec.openSession(at_limit, kNow).error().code, Errc::kCookieBadSignature);
  EXPECT_EQ(codec.openSession(at_limit + "A", kNow).error().code, Errc::kCookieMalformed);
}

// A login cookie is not a session cookie and a session cookie is not a login cookie.
TEST(Session, PurposesDoNotCross) {
  const CookieCodec codec(kSecret, std::nullopt, kScope);
  const std::string login = codec.sealLogin(sampleLogin());
  const std::string session = codec.sealSession(sampleSession());
  EXPECT_EQ(codec.openSession(login, kNow).error().code, Errc::kCookieBadSignature);
  EXPECT_EQ(codec.openSessionIdentity(login, kNow).error().code, Errc::kCookieBadSignature);
  EXPECT_EQ(codec.openLogin(session, kNow).error().code, Errc::kCookieBadSignature);
}

// Login state round-trips, expires, and keeps nonce and verifier out of the cookie text.
TEST(Session, LoginStateRoundTripsAndHidesSecrets) {
  const CookieCodec codec(kSecret, std::string_view(kOldSecret), kScope);
  const std::string value = codec.sealLogin(sampleLogin());
  auto opened = codec.openLogin(value, kNow);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->state, "state-abc");
  EXPECT_EQ(opened->nonce, "nonce-def");
  EXPECT_EQ(opened->code_verifier, "verifier-ghi");
  EXPECT_EQ(opened->return_to, "/app?x=1");
  EXPECT_EQ(opened->expires_at, kNow + 600);
  EXPECT_EQ(codec.openLogin(value, kNow + 600).error().code, Errc::kCookieExpired);

  const std::string payload = readablePart(value);
  EXPECT_NE(payload.find("state-abc"), std::string::npos);
  EXPECT_EQ(payload.find("verifier-ghi"), std::string::npos);
  EXPECT_EQ(payload.find("nonce-def"), std::string::npos);
  EXPECT_EQ(value.find("verifier-ghi"), std::string::npos);

  // Old-secret login cookies open after rotation.
  EXPECT_TRUE(codec.openLogin(
      CookieCodec(kOldSecret, std::nullopt, kScope).sealLogin(sampleLogin()), kNow));
  for (size_t i = 0; i < value.size(); ++i) {
    std::string bad = value;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(codec.openLogin(bad, kNow)) << i;
  }
}

// Cookie names follow the https setting and the configured name.
TEST(Session, CookieNamesFollowConfig) {
  Config config;
  EXPECT_EQ(cookieNames(config).session, "latchkey");
  EXPECT_EQ(cookieNames(config).login_prefix, "latchkey-login-");
  config.https = true;
  EXPECT_EQ(cookieNames(config).session, "__Host-latchkey");
  EXPECT_EQ(cookieNames(config).login_prefix, "__Secure-latchkey-login-");
  config.cookie_name = "mine";
  EXPECT_EQ(cookieNames(config).session, "mine");

  const std::string name = loginCookieName(config, "state-abc");
  const auto digest = sha256("state-abc");
  EXPECT_EQ(name,
            "__Secure-latchkey-login-" +
                base64UrlEncode({reinterpret_cast<const char*>(digest.data()), 32}).substr(0, 16));
  EXPECT_NE(loginCookieName(config, "state-abd"), name);
}

// Set-Cookie strings carry exactly the agreed attributes.
TEST(Session, SetCookieStringsHaveTheAgreedAttributes) {
  Config config;
  EXPECT_EQ(sessionSetCookie(config, "v1.x.y", 100),
            "latchkey=v1.x.y; Path=/; Max-Age=100; HttpOnly; SameSite=Lax");
  EXPECT_EQ(sessionClearCookie(config), "latchkey=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  config.https = true;
  config.base_path = "/oauth2";
  EXPECT_EQ(sessionSetCookie(config, "v", 5),
            "__Host-latchkey=v; Path=/; Max-Age=5; HttpOnly; SameSite=Lax; Secure");
  EXPECT_EQ(loginSetCookie(config, "__Secure-latchkey-login-abc", "v", 600),
            "__Secure-latchkey-login-abc=v; Path=/oauth2/login; Max-Age=600; HttpOnly; "
            "SameSite=Lax; Secure");
  EXPECT_EQ(loginClearCookie(config, "n"),
            "n=; Path=/oauth2/login; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
  EXPECT_EQ(sessionSetCookie(config, "v", -5),
            "__Host-latchkey=v; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
}

// cookie_domain: the session cookie carries Domain (set and cleared alike) and a __Secure- name,
// since __Host- forbids Domain; login cookies stay on the sign-in host.
TEST(Session, CookieDomainWidensOnlyTheSessionCookie) {
  Config config;
  config.https = true;
  config.cookie_domain = "example.com";
  EXPECT_EQ(sessionSetCookie(config, "v", 5),
            "__Secure-latchkey=v; Path=/; Max-Age=5; HttpOnly; SameSite=Lax; Secure; "
            "Domain=example.com");
  EXPECT_EQ(sessionClearCookie(config),
            "__Secure-latchkey=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure; "
            "Domain=example.com");
  EXPECT_EQ(loginSetCookie(config, "__Secure-latchkey-login-abc", "v", 600),
            "__Secure-latchkey-login-abc=v; Path=/login; Max-Age=600; HttpOnly; SameSite=Lax; "
            "Secure");
}

}  // namespace
}  // namespace latchkey
