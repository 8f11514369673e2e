// Test helpers: generate RSA / EC / Ed25519 keys with OpenSSL at test time, export their
// public halves as JWK JSON, and sign compact JWS (including deliberately wrong ones).
// Header-only (inline) so any *_test.cc can include it; keys are generated once per process.
#pragma once

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "latchkey/util/encoding.h"
#include "latchkey/util/openssl_ptr.h"

namespace latchkey::testing {

enum class KeyKind { kRsa2048, kRsa1024, kP256, kP384, kP521, kEd25519 };

struct TestKey {
  KeyKind kind;
  PkeyPtr pkey;  // private + public
};

inline std::string bnToBytes(const BIGNUM* bn, int pad_to = 0) {
  const int len = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(len), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len) != len) {  // NOLINT
    throw std::runtime_error("BN_bn2binpad");
  }
  return out;
}

inline int coordSize(KeyKind kind) {
  switch (kind) {
    case KeyKind::kP256:
      return 32;
    case KeyKind::kP384:
      return 48;
    case KeyKind::kP521:
      return 66;
    default:
      return 0;
  }
}

inline const char* jwkCurve(KeyKind kind) {
  switch (kind) {
    case KeyKind::kP256:
      return "P-256";
    case KeyKind::kP384:
      return "P-384";
    case KeyKind::kP521:
      return "P-521";
    case KeyKind::kEd25519:
      return "Ed25519";
    default:
      return "";
  }
}

inline TestKey generateKey(KeyKind kind) {
  EVP_PKEY* raw = nullptr;
  switch (kind) {
    case KeyKind::kRsa2048:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
    case KeyKind::kRsa1024:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
      break;
    case KeyKind::kP256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyKind::kP384:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyKind::kP521:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
      break;
    case KeyKind::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) {
    throw std::runtime_error("EVP_PKEY_Q_keygen failed");
  }
  return TestKey{kind, PkeyPtr(raw)};
}

// One key per (kind, index) per process, generated on first use (RSA generation is slow,
// especially under ASan). index 1, 2, ... give "another key of the same type" for wrong-key
// tests. Guarded by a mutex so threaded tests may share the keys.
inline const TestKey& testKey(KeyKind kind, int index = 0) {
  static std::mutex mutex;
  static std::map<std::pair<KeyKind, int>, TestKey> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find({kind, index});
  if (it == cache.end()) {
    it = cache.emplace(std::pair(kind, index), generateKey(kind)).first;
  }
  return it->second;
}

inline BnPtr bnParam(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    throw std::runtime_error(std::string("EVP_PKEY_get_bn_param ") + name);
  }
  return BnPtr(bn);
}

// The key's public JWK members (no braces), e.g. "kty":"RSA","n":"...","e":"AQAB".
inline std::string publicJwkMembers(const TestKey& key) {
  const EVP_PKEY* p = key.pkey.get();
  switch (key.kind) {
    case KeyKind::kRsa2048:
    case KeyKind::kRsa1024:
      return R"("kty":"RSA","n":")" +
             base64UrlEncode(bnToBytes(bnParam(p, OSSL_PKEY_PARAM_RSA_N).get())) + R"(","e":")" +
             base64UrlEncode(bnToBytes(bnParam(p, OSSL_PKEY_PARAM_RSA_E).get())) + "\"";
    case KeyKind::kEd25519: {
      std::string x(32, '\0');
      size_t len = x.size();
      if (EVP_PKEY_get_raw_public_key(p, reinterpret_cast<unsigned char*>(x.data()), &len) !=
          1) {  // NOLINT
        throw std::runtime_error("EVP_PKEY_get_raw_public_key");
      }
      return R"("kty":"OKP","crv":"Ed25519","x":")" + base64UrlEncode(x) + "\"";
    }
    default: {
      const int size = coordSize(key.kind);
      return std::string(R"("kty":"EC","crv":")") + jwkCurve(key.kind) + R"(","x":")" +
             base64UrlEncode(bnToBytes(bnParam(p, OSSL_PKEY_PARAM_EC_PUB_X).get(), size)) +
             R"(","y":")" +
             base64UrlEncode(bnToBytes(bnParam(p, OSSL_PKEY_PARAM_EC_PUB_Y).get(), size)) + "\"";
    }
  }
}

// A full public JWK; extra is appended verbatim (e.g. R"("alg":"RS256","use":"sig")").
inline std::string publicJwk(const TestKey& key, std::string_view kid,
                             std::string_view extra = {}) {
  std::string out = "{" + publicJwkMembers(key);
  if (!kid.empty()) {
    out += R"(,"kid":")" + std::string(kid) + "\"";
  }
  if (!extra.empty()) {
    out += "," + std::string(extra);
  }
  return out + "}";
}

// SubjectPublicKeyInfo PEM of the key's public half (for HS256 key-confusion attacks).
inline std::string publicPem(const TestKey& key) {
  std::unique_ptr<BIO, OpensslDeleter<BIO_free>> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.pkey.get()) != 1) {
    throw std::runtime_error("PEM_write_bio_PUBKEY");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Unencrypted PKCS#8 PEM of the private key (for private_key_jwt key files).
inline std::string privatePem(const TestKey& key) {
  std::unique_ptr<BIO, OpensslDeleter<BIO_free>> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    throw std::runtime_error("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Raw modulus bytes of an RSA test key.
inline std::string rsaModulus(const TestKey& key) {
  return bnToBytes(bnParam(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N).get());
}

inline std::string jwksOf(std::initializer_list<std::string> jwks) {
  std::string out = R"({"keys":[)";
  bool first = true;
  for (const auto& jwk : jwks) {
    out += (first ? "" : ",") + jwk;
    first = false;
  }
  return out + "]}";
}

inline const char* digestFor(std::string_view alg) {
  if (alg.size() == 5 && alg.substr(2) == "256") {
    return "SHA256";
  }
  if (alg.size() == 5 && alg.substr(2) == "384") {
    return "SHA384";
  }
  if (alg.size() == 5 && alg.substr(2) == "512") {
    return "SHA512";
  }
  return nullptr;  // EdDSA
}

// Raw signature bytes over input with alg (RS*, PS*, ES* as r||s, EdDSA).
// es_der = true keeps the ECDSA signature in OpenSSL's DER form (an attack vector).
inline std::string signRaw(const TestKey& key, std::string_view alg, std::string_view input,
                           bool es_der = false) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pctx, digestFor(alg), nullptr, nullptr,
                                    key.pkey.get(), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestSignInit_ex");
  }
  if (alg.substr(0, 2) == "PS" &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    throw std::runtime_error("PSS padding");
  }
  const auto* tbs = reinterpret_cast<const unsigned char*>(input.data());  // NOLINT
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, tbs, input.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign size");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, tbs,  // NOLINT
                     input.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign");
  }
  sig.resize(len);
  if (alg.substr(0, 2) != "ES" || es_der) {
    return sig;
  }
  // RFC 7518 §3.4: DER → r || s, each padded to the coordinate size.
  const auto* der = reinterpret_cast<const unsigned char*>(sig.data());  // NOLINT
  EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size())));
  if (!ecdsa) {
    throw std::runtime_error("d2i_ECDSA_SIG");
  }
  const int size = coordSize(key.kind);
  return bnToBytes(ECDSA_SIG_get0_r(ecdsa.get()), size) +
         bnToBytes(ECDSA_SIG_get0_s(ecdsa.get()), size);
}

inline std::string headerJson(std::string_view alg, std::string_view kid) {
  std::string out = R"({"alg":")" + std::string(alg) + "\"";
  if (!kid.empty()) {
    out += R"(,"kid":")" + std::string(kid) + "\"";
  }
  return out + R"(,"typ":"JWT"})";
}

// Compact JWS with an explicit header JSON.
inline std::string signCompactWithHeader(const TestKey& key, std::string_view alg,
                                         std::string_view header_json,
                                         std::string_view payload_json, bool es_der = false) {
  const std::string input = base64UrlEncode(header_json) + "." + base64UrlEncode(payload_json);
  return input + "." + base64UrlEncode(signRaw(key, alg, input, es_der));
}

inline std::string signCompact(const TestKey& key, std::string_view alg, std::string_view kid,
                               std::string_view payload_json) {
  return signCompactWithHeader(key, alg, headerJson(alg, kid), payload_json);
}

// HS256 over header.payload with an arbitrary "secret" (for key-confusion attacks).
inline std::string signHs256(std::string_view secret, std::string_view kid,
                             std::string_view payload_json) {
  const std::string input =
      base64UrlEncode(headerJson("HS256", kid)) + "." + base64UrlEncode(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,  // NOLINT
                sizeof(mac), &mac_len) == nullptr) {
    throw std::runtime_error("HMAC");
  }
  return input + "." +
         base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));  // NOLINT
}

// A payload with the usual ID token claims; extra members are appended verbatim.
inline std::string idTokenPayload(std::string_view iss, std::string_view aud_json,
                                  std::string_view nonce, int64_t exp, int64_t iat,
                                  std::string_view extra = {}) {
  std::string out = R"({"iss":")" + std::string(iss) + R"(","sub":"user-123","aud":)" +
                    std::string(aud_json) + R"(,"exp":)" + std::to_string(exp) + R"(,"iat":)" +
                    std::to_string(iat) + R"(,"nonce":")" + std::string(nonce) +
                    R"(","email":"alice@example.com","email_verified":true,"name":"Alice"})";
  if (!extra.empty()) {
    out.pop_back();
    out += "," + std::string(extra) + "}";
  }
  return out;
}

}  // namespace latchkey::testing
