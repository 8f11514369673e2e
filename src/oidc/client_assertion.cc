#include "oidc/client_assertion.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <utility>

#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/openssl_ptr.h"

namespace latchkey {

struct ClientAssertionSigner::Key {
  PkeyPtr pkey;
};

namespace {

using BioPtr = std::unique_ptr<BIO, OpensslDeleter<BIO_free>>;

constexpr size_t kEs256PartBytes = 32;

// RFC 7518 §3.4: a JWS ES256 signature is r || s, each left-padded to 32 bytes; OpenSSL
// produces DER.
std::optional<std::string> derToRawEs256(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) {
    return std::nullopt;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kEs256PartBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kEs256PartBytes) < 0 ||
      BN_bn2binpad(s, out + kEs256PartBytes, kEs256PartBytes) < 0) {
    return std::nullopt;
  }
  return raw;
}

}  // namespace

ClientAssertionSigner::ClientAssertionSigner(std::shared_ptr<Key> key, std::string alg,
                                             std::string key_id)
    : key_(std::move(key)), alg_(std::move(alg)), key_id_(std::move(key_id)) {}

Result<std::shared_ptr<const ClientAssertionSigner>> ClientAssertionSigner::fromPem(
    std::string_view pem, std::string key_id) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return makeError(Errc::kInternal, "out of memory");
  }
  // No passphrase callback: an encrypted key fails here instead of prompting on a tty.
  auto key = std::make_shared<Key>();
  key->pkey.reset(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  ERR_clear_error();
  if (!key->pkey) {
    return makeError(Errc::kInternal, "is not an unencrypted PEM private key (RSA or EC P-256)");
  }
  std::string alg;
  if (EVP_PKEY_is_a(key->pkey.get(), "RSA")) {
    if (EVP_PKEY_get_bits(key->pkey.get()) < 2048) {
      return makeError(Errc::kInternal, "holds an RSA key shorter than 2048 bits (RFC 7518 §3.3)");
    }
    alg = "RS256";
  } else if (EVP_PKEY_is_a(key->pkey.get(), "EC")) {
    char curve[64] = {};
    if (EVP_PKEY_get_utf8_string_param(key->pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve,
                                       sizeof(curve), nullptr) != 1 ||
        std::string_view(curve) != "prime256v1") {
      ERR_clear_error();
      return makeError(Errc::kInternal, "holds an EC key that is not on P-256 (ES256)");
    }
    alg = "ES256";
  } else {
    return makeError(Errc::kInternal, "holds a key that is neither RSA nor EC P-256");
  }
  return std::make_shared<const ClientAssertionSigner>(std::move(key), std::move(alg),
                                                       std::move(key_id));
}

Result<std::string> ClientAssertionSigner::sign(std::string_view client_id,
                                                std::string_view audience, int64_t now) const {
  std::string header = "{\"alg\":\"" + alg_ + "\",\"typ\":\"JWT\"";
  if (!key_id_.empty()) {
    header += ",\"kid\":\"" + jsonEscape(key_id_) + "\"";
  }
  header += "}";
  const std::string id = jsonEscape(client_id);
  // RFC 7523 §3: iss and sub are the client_id, aud the token endpoint, exp required;
  // jti lets the provider refuse a replayed assertion.
  const std::string payload = "{\"iss\":\"" + id + "\",\"sub\":\"" + id + "\",\"aud\":\"" +
                              jsonEscape(audience) + "\",\"jti\":\"" + randomToken(18) +
                              "\",\"iat\":" + std::to_string(now) +
                              ",\"exp\":" + std::to_string(now + kLifetimeSeconds) + "}";
  const std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);

  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t size = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key_->pkey.get(),
                            nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    ERR_clear_error();
    return makeError(Errc::kCryptoFailure, "cannot sign the client assertion");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    ERR_clear_error();
    return makeError(Errc::kCryptoFailure, "cannot sign the client assertion");
  }
  signature.resize(size);
  if (alg_ == "ES256") {
    auto raw = derToRawEs256(signature);
    if (!raw) {
      return makeError(Errc::kCryptoFailure, "cannot convert the ES256 signature");
    }
    signature = std::move(*raw);
  }
  return input + "." + base64UrlEncode(signature);
}

}  // namespace latchkey
