// Named adversarial ID tokens from tests/vectors/jwt/, one file per attack (in the manner of
// mod_auth_openidc's fuzz corpus). The format is described in tests/vectors/jwt/README.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "latchkey/oidc/id_token.h"
#include "latchkey/util/encoding.h"
#include "support/jwt_test_support.h"

namespace latchkey {
namespace {

namespace fs = std::filesystem;
using testing::KeyKind;
using testing::TestKey;
using testing::testKey;

constexpr const char* kDefaultHeader = R"({"alg":"RS256","kid":"rsa","typ":"JWT"})";
constexpr const char* kDefaultPayload =
    R"({"iss":"https://issuer.example","aud":"client-1","sub":"user-123","exp":1700003600,)"
    R"("iat":1699999990,"nonce":"n-0S6_WzA2Mj","email":"alice@example.com"})";

fs::path vectorDir() {
  for (const fs::path& p :
       {fs::path("tests/vectors/jwt"), fs::path(__FILE__).parent_path() / "../vectors/jwt"}) {
    if (fs::is_directory(p)) {
      return p;
    }
  }
  return {};
}

std::vector<std::string> vectorNames() {
  std::vector<std::string> names;
  const fs::path dir = vectorDir();
  if (dir.empty()) {
    return names;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.find('.') == std::string::npos) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::map<std::string, std::string> readVector(const std::string& name) {
  std::ifstream in(vectorDir() / name);
  std::map<std::string, std::string> fields;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const size_t colon = line.find(": ");
    if (colon != std::string::npos) {
      fields[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }
  return fields;
}

const TestKey& namedKey(const std::string& name) {
  if (name == "rsa") {
    return testKey(KeyKind::kRsa2048);
  }
  if (name == "rsa-rs256") {
    return testKey(KeyKind::kRsa2048, 1);
  }
  if (name == "ec") {
    return testKey(KeyKind::kP256);
  }
  if (name == "ed") {
    return testKey(KeyKind::kEd25519);
  }
  if (name == "ec-other") {
    return testKey(KeyKind::kP256, 1);
  }
  return testKey(KeyKind::kRsa2048, 2);  // "attacker"
}

const JwkSet& vectorKeys() {
  static const JwkSet set = [] {
    auto parsed = parseJwks(testing::jwksOf(
        {testing::publicJwk(namedKey("rsa"), "rsa"),
         testing::publicJwk(namedKey("rsa-rs256"), "rsa-rs256", R"("alg":"RS256")"),
         testing::publicJwk(namedKey("ec"), "ec"), testing::publicJwk(namedKey("ed"), "ed")}));
    return std::move(*parsed);
  }();
  return set;
}

// Builds the compact token a vector describes.
std::string buildToken(std::map<std::string, std::string>& v) {
  if (v.count("compact")) {
    return v["compact"];
  }
  const std::string header = v.count("header") ? v["header"] : kDefaultHeader;
  const std::string payload = v.count("payload") ? v["payload"] : kDefaultPayload;
  const std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);
  const std::string sign = v.count("sign") ? v["sign"] : "RS256:rsa";
  const size_t colon = sign.find(':');
  const std::string how = sign.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : sign.substr(colon + 1);
  std::string signature;
  if (how == "empty") {
    signature = "";
  } else if (how == "raw") {
    signature = arg;
  } else if (how == "hs256") {
    const TestKey& rsa = namedKey("rsa");
    const std::string secret = arg == "rsa-pem" ? testing::publicPem(rsa)
                               : arg == "rsa-n" ? testing::rsaModulus(rsa)
                                                : testing::publicJwk(rsa, "rsa");
    // Re-sign the given header (its alg says HS256) with the public key as HMAC secret.
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,  // NOLINT
              sizeof(mac), &mac_len);
    signature =
        base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));  // NOLINT
  } else if (how.size() > 4 && how.substr(how.size() - 4) == "-der") {
    signature = base64UrlEncode(
        testing::signRaw(namedKey(arg), how.substr(0, how.size() - 4), input, /*es_der=*/true));
  } else {
    signature = base64UrlEncode(testing::signRaw(namedKey(arg), how, input));
  }
  std::string token = input + "." + signature;
  if (v.count("swap-payload")) {
    const size_t dot1 = token.find('.');
    const size_t dot2 = token.rfind('.');
    token = token.substr(0, dot1 + 1) + base64UrlEncode(v["swap-payload"]) + token.substr(dot2);
  }
  if (v.count("truncate-signature")) {
    token.resize(token.size() - std::stoul(v["truncate-signature"]));
  }
  if (v.count("append")) {
    token += v["append"];
  }
  return token;
}

const std::map<std::string, Errc>& errcByName() {
  static const std::map<std::string, Errc> names = {
      {"IdTokenMalformed", Errc::kIdTokenMalformed},
      {"IdTokenAlgNotAllowed", Errc::kIdTokenAlgNotAllowed},
      {"IdTokenUnknownKid", Errc::kIdTokenUnknownKid},
      {"IdTokenBadSignature", Errc::kIdTokenBadSignature},
      {"IdTokenIssuerMismatch", Errc::kIdTokenIssuerMismatch},
      {"IdTokenAudienceMismatch", Errc::kIdTokenAudienceMismatch},
      {"IdTokenAzpMismatch", Errc::kIdTokenAzpMismatch},
      {"IdTokenExpired", Errc::kIdTokenExpired},
      {"IdTokenIssuedInFuture", Errc::kIdTokenIssuedInFuture},
      {"IdTokenTooOld", Errc::kIdTokenTooOld},
      {"IdTokenNonceMismatch", Errc::kIdTokenNonceMismatch},
      {"IdTokenMissingClaim", Errc::kIdTokenMissingClaim},
  };
  return names;
}

class JwtVector : public ::testing::TestWithParam<std::string> {};

// Each named vector gives exactly the verdict its "expect" line states.
TEST_P(JwtVector, GivesTheExpectedVerdict) {
  auto v = readVector(GetParam());
  ASSERT_TRUE(v.count("expect")) << "vector has no expect line";
  IdTokenExpectations e;
  e.issuer = "https://issuer.example";
  e.client_id = "client-1";
  e.trusted_audiences = {"client-2"};
  e.nonce = "n-0S6_WzA2Mj";
  e.now = 1700000000;
  auto result = verifyIdToken(buildToken(v), vectorKeys(), e);
  if (v["expect"] == "ok") {
    EXPECT_TRUE(result) << result.error().detail;
    return;
  }
  auto code = errcByName().find(v["expect"]);
  ASSERT_NE(code, errcByName().end()) << "unknown expect " << v["expect"];
  ASSERT_FALSE(result) << "attack token was accepted";
  EXPECT_EQ(result.error().code, code->second) << result.error().detail;
}

// gtest parameter names must be alphanumeric: "alg-none" becomes "alg_none".
std::string paramName(const ::testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  std::replace_if(
      name.begin(), name.end(),
      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Jwt, JwtVector, ::testing::ValuesIn(vectorNames()), paramName);

// The vector directory is found and holds the catalogue (guards against silently running none).
TEST(JwtVectors, CatalogueIsPresent) {
  EXPECT_GE(vectorNames().size(), 30U);
}

}  // namespace
}  // namespace latchkey
