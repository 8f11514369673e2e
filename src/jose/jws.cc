// Compact JWS (RFC 7515 §7.1) parsing and signature verification on an explicit allow-list
// of asymmetric algorithms (RFC 7518 §3, RFC 8037 §3.1).
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <rapidjson/document.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jose/jose_internal.h"
#include "latchkey/jose/jose.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/json.h"
#include "latchkey/util/openssl_ptr.h"
#include "latchkey/util/text.h"

namespace latchkey {
namespace detail {

namespace {

using enum JwsFamily;

// Never "none" and never HS*: with a public JWKS, an HMAC "key" is public knowledge
// (the classic RS256 → HS256 confusion, RFC 8725 §2.1).
constexpr std::array<JwsAlgInfo, 10> kAlgs{{
    {"RS256", kRsaPkcs1, "SHA256", "", 0},
    {"RS384", kRsaPkcs1, "SHA384", "", 0},
    {"RS512", kRsaPkcs1, "SHA512", "", 0},
    {"PS256", kRsaPss, "SHA256", "", 0},
    {"PS384", kRsaPss, "SHA384", "", 0},
    {"PS512", kRsaPss, "SHA512", "", 0},
    {"ES256", kEcdsa, "SHA256", "P-256", 32},
    {"ES384", kEcdsa, "SHA384", "P-384", 48},
    {"ES512", kEcdsa, "SHA512", "P-521", 66},
    {"EdDSA", kEdDsa, nullptr, "Ed25519", 0},
}};

}  // namespace

const JwsAlgInfo* findJwsAlg(std::string_view alg) {
  for (const JwsAlgInfo& info : kAlgs) {
    if (info.name == alg) {
      return &info;
    }
  }
  return nullptr;
}

}  // namespace detail

namespace {

using detail::JwsAlgInfo;
using detail::JwsFamily;

Error malformed(std::string detail) {
  return makeError(Errc::kIdTokenMalformed, std::move(detail));
}
Error badSignature(std::string detail) {
  return makeError(Errc::kIdTokenBadSignature, std::move(detail));
}

bool keyFits(const Jwk& key, const JwsAlgInfo& alg) {
  if (!key.alg.empty() && key.alg != alg.name) {
    return false;
  }
  switch (alg.family) {
    case JwsFamily::kRsaPkcs1:
    case JwsFamily::kRsaPss:
      return key.kty == "RSA";
    case JwsFamily::kEcdsa:
      return key.kty == "EC" && key.crv == alg.crv;
    case JwsFamily::kEdDsa:
      return key.kty == "OKP" && key.crv == alg.crv;
  }
  return false;
}

// RFC 7518 §3.4: a JWS ECDSA signature is r || s, each exactly the coordinate size;
// OpenSSL verifies the DER SEQUENCE { r, s } of SEC 1 / RFC 3279.
std::optional<std::string> ecdsaRawToDer(std::string_view raw, size_t coord_size) {
  if (raw.size() != 2 * coord_size) {
    return std::nullopt;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());  // NOLINT
  BnPtr r(BN_bin2bn(bytes, static_cast<int>(coord_size), nullptr));
  BnPtr s(BN_bin2bn(bytes + coord_size, static_cast<int>(coord_size), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  // ECDSA_SIG_set0 took ownership of r and s.
  static_cast<void>(r.release());
  static_cast<void>(s.release());
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string der(static_cast<size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());  // NOLINT
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) {
    ERR_clear_error();
    return std::nullopt;
  }
  return der;
}

Status verifyWithKey(const Jws& jws, const JwsAlgInfo& alg, const Jwk& key) {
  EVP_PKEY* pkey = key.impl ? key.impl->pkey.get() : nullptr;
  if (pkey == nullptr) {
    return badSignature("key kid=\"" + sanitizeForLog(key.kid, 40) + "\" has no key material");
  }
  std::string signature = jws.signature;
  if (alg.family == JwsFamily::kEcdsa) {
    auto der = ecdsaRawToDer(jws.signature, alg.coord_size);
    if (!der) {
      return badSignature(std::string(alg.name) + " signature is " +
                          std::to_string(jws.signature.size()) + " bytes, expected r||s of " +
                          std::to_string(2 * alg.coord_size));
    }
    signature = std::move(*der);
  } else if (alg.family != JwsFamily::kEdDsa) {
    // RFC 8017 §8.2.2 step 1: an RSA signature is exactly the modulus length.
    const int size = EVP_PKEY_get_size(pkey);
    if (size <= 0 || jws.signature.size() != static_cast<size_t>(size)) {
      return badSignature(std::string(alg.name) + " signature is " +
                          std::to_string(jws.signature.size()) + " bytes, modulus is " +
                          std::to_string(size));
    }
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), &pctx, alg.digest, nullptr, nullptr, pkey, nullptr) != 1) {
    ERR_clear_error();
    return badSignature("cannot set up " + std::string(alg.name) + " verification");
  }
  if (alg.family == JwsFamily::kRsaPkcs1 &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    ERR_clear_error();
    return badSignature("cannot select PKCS#1 v1.5 padding");
  }
  // RFC 7518 §3.5: PSS with MGF1 over the same hash and a salt as long as the hash.
  if (alg.family == JwsFamily::kRsaPss &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    ERR_clear_error();
    return badSignature("cannot select PSS padding");
  }
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());          // NOLINT
  const auto* tbs = reinterpret_cast<const unsigned char*>(jws.signing_input.data());  // NOLINT
  if (EVP_DigestVerify(ctx.get(), sig, signature.size(), tbs, jws.signing_input.size()) != 1) {
    ERR_clear_error();
    return badSignature(std::string(alg.name) + " signature does not verify with key kid=\"" +
                        sanitizeForLog(key.kid, 40) + "\"");
  }
  return {};
}

}  // namespace

bool isAllowedJwsAlg(std::string_view alg) {
  return detail::findJwsAlg(alg) != nullptr;
}

Result<Jws> parseCompactJws(std::string_view compact) {
  if (compact.size() > kMaxCompactJwsSize) {
    return malformed("JWS is " + std::to_string(compact.size()) + " bytes (limit " +
                     std::to_string(kMaxCompactJwsSize) + ")");
  }
  const size_t dot1 = compact.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed("JWS compact form needs exactly three parts");
  }
  const std::string_view header_b64 = compact.substr(0, dot1);
  const std::string_view payload_b64 = compact.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = compact.substr(dot2 + 1);
  auto header = base64UrlDecode(header_b64);
  auto payload = base64UrlDecode(payload_b64);
  auto signature = base64UrlDecode(signature_b64);
  if (!header || !payload || !signature) {
    return malformed("JWS part is not base64url");
  }
  if (signature->empty()) {
    return malformed("JWS signature is empty (unsecured JWS)");
  }
  rapidjson::Document doc;
  if (!json::parseObject(*header, doc)) {
    return malformed("JWS header is not a JSON object");
  }
  auto alg = json::getString(doc, "alg");
  if (!alg) {
    return malformed("JWS header has no string \"alg\"");
  }
  // RFC 7515 §4.1.11: we implement no extensions, so any "crit" must be refused (this also
  // refuses RFC 7797 "b64": false, which requires "crit").
  if (doc.HasMember("crit")) {
    return malformed("JWS header has \"crit\"; no extensions are supported");
  }
  Jws jws;
  if (doc.HasMember("kid")) {
    auto kid = json::getString(doc, "kid");
    if (!kid) {
      return malformed("JWS header \"kid\" is not a string");
    }
    jws.kid = std::string(*kid);
  }
  jws.alg = std::string(*alg);
  jws.payload_json = std::move(*payload);
  jws.signing_input = std::string(compact.substr(0, dot2));
  jws.signature = std::move(*signature);
  return jws;
}

Status verifyJwsSignature(const Jws& jws, const JwkSet& keys) {
  const JwsAlgInfo* alg = detail::findJwsAlg(jws.alg);
  if (alg == nullptr) {
    return makeError(Errc::kIdTokenAlgNotAllowed,
                     "alg \"" + sanitizeForLog(jws.alg, 40) + "\" is not on the allow-list");
  }
  std::vector<const Jwk*> candidates;
  if (!jws.kid.empty()) {
    bool kid_known = false;
    for (const Jwk& key : keys.keys) {
      if (key.kid == jws.kid) {
        kid_known = true;
        if (keyFits(key, *alg)) {
          candidates.push_back(&key);
        }
      }
    }
    if (!kid_known) {
      // A key the JWKS has but that latchkey could not use (a curve or key type it does not
      // support) is the likely reason: say so, or the provider's log and ours disagree.
      std::string detail = "kid \"" + sanitizeForLog(jws.kid, 40) + "\" is not in the JWKS";
      if (!keys.skipped.empty()) {
        detail += " (keys skipped: " + join(keys.skipped, "; ") + ")";
      }
      return makeError(Errc::kIdTokenUnknownKid, std::move(detail));
    }
    if (candidates.empty()) {
      return badSignature("key kid=\"" + sanitizeForLog(jws.kid, 40) + "\" does not fit alg " +
                          std::string(alg->name) + " (kty, crv or alg differ)");
    }
  } else {
    for (const Jwk& key : keys.keys) {
      if (keyFits(key, *alg)) {
        candidates.push_back(&key);
      }
    }
    // Without a kid, guessing among several keys would let any of them sign; refuse.
    if (candidates.size() != 1) {
      return badSignature("JWS has no kid and " + std::to_string(candidates.size()) +
                          " keys fit alg " + std::string(alg->name) + " (need exactly one)");
    }
  }
  // Several keys sharing one kid (a provider mid-rotation): any of them may have signed.
  Status last = badSignature("no key");
  for (const Jwk* key : candidates) {
    last = verifyWithKey(jws, *alg, *key);
    if (last.ok()) {
      return last;
    }
  }
  return last;
}

}  // namespace latchkey
