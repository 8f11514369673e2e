// JSON Web Keys (RFC 7517) to OpenSSL public keys (RFC 7518 §6, RFC 8037 §2).
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <rapidjson/document.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "jose/jose_internal.h"
#include "latchkey/jose/jose.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/json.h"
#include "latchkey/util/openssl_ptr.h"
#include "latchkey/util/text.h"

namespace latchkey {

Jwk::Jwk() = default;
Jwk::~Jwk() = default;
Jwk::Jwk(Jwk&&) noexcept = default;
Jwk& Jwk::operator=(Jwk&&) noexcept = default;

namespace {

// RFC 8725 §3.5 / NIST SP 800-57: RSA keys below 2048 bits are refused. The upper bound keeps
// a hostile JWKS from making each verification expensive.
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;
constexpr size_t kMaxRsaExponentBytes = 8;
constexpr size_t kMaxJwksEntries = 64;

struct Curve {
  std::string_view jwk_name;
  const char* openssl_group;
  size_t coord_size;
};

// RFC 7518 §6.2.1.1.
constexpr std::array<Curve, 3> kCurves{{
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
}};

// A key that could not be used, with the reason for the log.
struct Skip {
  std::string reason;
};

template <typename T>
using KeyOr = std::variant<T, Skip>;

PkeyPtr fromData(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return PkeyPtr(raw);
}

std::optional<std::string> b64Member(const rapidjson::Value& jwk, const char* name) {
  auto text = json::getString(jwk, name);
  if (!text) {
    return std::nullopt;
  }
  return base64UrlDecode(*text);
}

KeyOr<PkeyPtr> rsaKey(const rapidjson::Value& jwk) {
  auto n = b64Member(jwk, "n");
  auto e = b64Member(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) {
    return Skip{"RSA key without valid base64url n and e"};
  }
  if (e->size() > kMaxRsaExponentBytes) {
    return Skip{"RSA exponent longer than 8 bytes"};
  }
  const auto* n_data = reinterpret_cast<const unsigned char*>(n->data());  // NOLINT
  const auto* e_data = reinterpret_cast<const unsigned char*>(e->data());  // NOLINT
  BnPtr bn_n(BN_bin2bn(n_data, static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(e_data, static_cast<int>(e->size()), nullptr));
  if (!bn_n || !bn_e) {
    ERR_clear_error();
    return Skip{"RSA parameters do not convert"};
  }
  const int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return Skip{"RSA modulus of " + std::to_string(bits) + " bits (allowed 2048..16384)"};
  }
  if (BN_is_odd(bn_n.get()) != 1 || BN_is_odd(bn_e.get()) != 1 || BN_is_one(bn_e.get()) == 1) {
    return Skip{"RSA modulus or exponent not odd, or exponent 1"};
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    ERR_clear_error();
    return Skip{"RSA parameters do not convert"};
  }
  PkeyPtr key = fromData("RSA", bld.get());
  if (!key) {
    return Skip{"OpenSSL refused the RSA key"};
  }
  return key;
}

KeyOr<PkeyPtr> ecKey(const rapidjson::Value& jwk, std::string_view crv) {
  const Curve* curve = nullptr;
  for (const Curve& c : kCurves) {
    if (c.jwk_name == crv) {
      curve = &c;
    }
  }
  if (curve == nullptr) {
    return Skip{"EC curve \"" + sanitizeForLog(crv, 40) + "\" not supported"};
  }
  auto x = b64Member(jwk, "x");
  auto y = b64Member(jwk, "y");
  // RFC 7518 §6.2.1.2/3: x and y MUST be the full coordinate size, leading zeros included.
  if (!x || !y || x->size() != curve->coord_size || y->size() != curve->coord_size) {
    return Skip{"EC key x/y missing or not " + std::to_string(curve->coord_size) + " bytes"};
  }
  // SEC 1 §2.3.3 uncompressed point: 0x04 || x || y.
  std::string point;
  point.reserve(1 + 2 * curve->coord_size);
  point.push_back('\x04');
  point += *x;
  point += *y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->openssl_group,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    ERR_clear_error();
    return Skip{"EC parameters do not convert"};
  }
  PkeyPtr key = fromData("EC", bld.get());
  if (!key) {
    return Skip{"EC point rejected (not on curve " + std::string(curve->jwk_name) + "?)"};
  }
  // Invalid-curve attacks: make sure the point is on the named curve and not the identity,
  // whatever the decoding path above checked.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return Skip{"EC point fails the public key check"};
  }
  return key;
}

KeyOr<PkeyPtr> okpKey(const rapidjson::Value& jwk, std::string_view crv) {
  // RFC 8037 §2; only Ed25519 (Ed448 is not on the allow-list, X25519 is for encryption).
  if (crv != "Ed25519") {
    return Skip{"OKP curve \"" + sanitizeForLog(crv, 40) + "\" not supported"};
  }
  auto x = b64Member(jwk, "x");
  if (!x || x->size() != 32) {
    return Skip{"Ed25519 key x missing or not 32 bytes"};
  }
  const auto* x_data = reinterpret_cast<const unsigned char*>(x->data());  // NOLINT
  PkeyPtr key(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, x_data, x->size()));
  if (!key) {
    ERR_clear_error();
    return Skip{"OpenSSL refused the Ed25519 key"};
  }
  return key;
}

// RFC 7517 §4.2/§4.3: a key meant for encryption (or not for "verify") is not ours to use.
std::optional<Skip> usageProblem(const rapidjson::Value& jwk) {
  if (jwk.HasMember("use")) {
    auto use = json::getString(jwk, "use");
    if (!use || *use != "sig") {
      return Skip{"use is not \"sig\""};
    }
  }
  if (jwk.HasMember("key_ops")) {
    const rapidjson::Value* ops = json::getArray(jwk, "key_ops");
    bool verify = false;
    if (ops != nullptr) {
      for (const auto& op : ops->GetArray()) {
        verify = verify || (op.IsString() && std::string_view(op.GetString()) == "verify");
      }
    }
    if (!verify) {
      return Skip{"key_ops does not include \"verify\""};
    }
  }
  return std::nullopt;
}

KeyOr<Jwk> parseOne(const rapidjson::Value& entry) {
  if (!entry.IsObject()) {
    return Skip{"entry is not an object"};
  }
  Jwk jwk;
  auto kty = json::getString(entry, "kty");
  if (!kty) {
    return Skip{"no kty"};
  }
  jwk.kty = std::string(*kty);
  if (entry.HasMember("kid")) {
    auto kid = json::getString(entry, "kid");
    if (!kid) {
      return Skip{"kid is not a string"};
    }
    jwk.kid = std::string(*kid);
  }
  const std::string who = "key kid=\"" + sanitizeForLog(jwk.kid, 40) + "\": ";
  if (entry.HasMember("alg")) {
    auto alg = json::getString(entry, "alg");
    if (!alg || detail::findJwsAlg(*alg) == nullptr) {
      return Skip{who + "alg not an allowed signature alg"};
    }
    jwk.alg = std::string(*alg);
  }
  if (entry.HasMember("crv")) {
    auto crv = json::getString(entry, "crv");
    if (!crv) {
      return Skip{who + "crv is not a string"};
    }
    jwk.crv = std::string(*crv);
  }
  if (auto problem = usageProblem(entry)) {
    return Skip{who + problem->reason};
  }
  KeyOr<PkeyPtr> key = Skip{who + "kty \"" + sanitizeForLog(jwk.kty, 40) + "\" not supported"};
  if (jwk.kty == "RSA") {
    key = rsaKey(entry);
  } else if (jwk.kty == "EC") {
    key = ecKey(entry, jwk.crv);
  } else if (jwk.kty == "OKP") {
    key = okpKey(entry, jwk.crv);
  }
  if (auto* skip = std::get_if<Skip>(&key)) {
    if (skip->reason.rfind(who, 0) != 0) {
      skip->reason = who + skip->reason;
    }
    return std::move(*skip);
  }
  jwk.impl = std::make_unique<Jwk::Impl>();
  jwk.impl->pkey = std::move(std::get<PkeyPtr>(key));
  return jwk;
}

}  // namespace

Result<JwkSet> parseJwks(std::string_view json_text) {
  rapidjson::Document doc;
  if (!json::parseObject(json_text, doc)) {
    return makeError(Errc::kJwksInvalid, "JWKS is not a JSON object");
  }
  const rapidjson::Value* entries = json::getArray(doc, "keys");
  if (entries == nullptr) {
    return makeError(Errc::kJwksInvalid, "JWKS has no \"keys\" array");
  }
  if (entries->Size() > kMaxJwksEntries) {
    return makeError(Errc::kJwksInvalid,
                     "JWKS has " + std::to_string(entries->Size()) + " keys (at most 64 accepted)");
  }
  JwkSet set;
  for (const auto& entry : entries->GetArray()) {
    KeyOr<Jwk> jwk = parseOne(entry);
    if (auto* skip = std::get_if<Skip>(&jwk)) {
      set.skipped.push_back(std::move(skip->reason));
    } else {
      set.keys.push_back(std::move(std::get<Jwk>(jwk)));
    }
  }
  return set;
}

}  // namespace latchkey
