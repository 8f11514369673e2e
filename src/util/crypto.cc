// Cryptographic primitives on OpenSSL 3. Algorithms are fetched once and kept
// for the life of the process: an implicit fetch per call costs a lock and a table lookup,
// and these functions run on every request.
#include "latchkey/util/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "latchkey/util/openssl_ptr.h"

namespace latchkey {
namespace {

constexpr size_t kGcmNonceLen = 12;  // NIST SP 800-38D §8.2: 96-bit IVs
constexpr size_t kGcmTagLen = 16;
constexpr size_t kAesKeyLen = 32;

[[noreturn]] void fatal(const char* what) {
  // Only reached when OpenSSL itself is broken (no CSPRNG, no SHA-256 provider): going on
  // would issue guessable or unverifiable values.
  std::fprintf(stderr, "latchkey: fatal: %s\n", what);
  std::abort();
}

const EVP_MD* sha256Md() {
  static const MdPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (!md)
    fatal("SHA256 not available");
  return md.get();
}

const EVP_CIPHER* aes256Gcm() {
  static const CipherPtr cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  if (!cipher)
    fatal("AES-256-GCM not available");
  return cipher.get();
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());  // NOLINT
}
unsigned char* bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());  // NOLINT
}

bool fitsInt(size_t n) {
  return n <= static_cast<size_t>(INT_MAX);
}

}  // namespace

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && (!fitsInt(n) || RAND_bytes(bytes(out), static_cast<int>(n)) != 1)) {
    fatal("RAND_bytes failed");
  }
  return out;
}

std::string randomToken(size_t n_bytes) {
  return base64UrlEncode(randomBytes(n_bytes));
}

std::array<uint8_t, 32> sha256(std::string_view data) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256Md(), nullptr) != 1 ||
      len != out.size()) {
    fatal("SHA-256 failed");
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// HMAC-SHA256

// The keyed context `keyed` is the template; copies of it are pooled. EVP_MAC_init with a
// NULL key on a copy resets it to the already-keyed state (EVP_MAC-HMAC(7)), so a call
// costs the hash work and a mutex, not a key schedule and allocations.
struct HmacSha256::Impl {
  MacPtr mac;
  MacCtxPtr keyed;
  std::mutex mutex;
  std::vector<MacCtxPtr> pool;

  MacCtxPtr acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!pool.empty()) {
        MacCtxPtr ctx = std::move(pool.back());
        pool.pop_back();
        return ctx;
      }
    }
    return MacCtxPtr(EVP_MAC_CTX_dup(keyed.get()));
  }

  void release(MacCtxPtr ctx) {
    std::lock_guard<std::mutex> lock(mutex);
    pool.push_back(std::move(ctx));
  }
};

HmacSha256::HmacSha256(std::string_view key) : impl_(std::make_unique<Impl>()) {
  impl_->mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (impl_->mac)
    impl_->keyed.reset(EVP_MAC_CTX_new(impl_->mac.get()));
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // OpenSSL refuses a NULL key; an empty key is legal HMAC (RFC 2104 pads it with zeros).
  static const unsigned char kEmpty[1] = {0};
  const unsigned char* key_bytes = key.empty() ? kEmpty : bytes(key);
  if (!impl_->keyed || EVP_MAC_init(impl_->keyed.get(), key_bytes, key.size(), params) != 1) {
    fatal("HMAC-SHA256 key setup failed");
  }
}

HmacSha256::~HmacSha256() = default;
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;

std::array<uint8_t, 32> HmacSha256::mac(std::string_view data) const {
  std::array<uint8_t, 32> out{};
  MacCtxPtr ctx = impl_->acquire();
  size_t len = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), bytes(data), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    // Without a MAC we can neither sign nor verify; a zero MAC would verify forged values.
    fatal("HMAC-SHA256 failed");
  }
  impl_->release(std::move(ctx));
  return out;
}

// OpenSSL's error queue is per thread: cleared here so a later, unrelated call does not
// report this failure as its own.
Error cryptoFailure(std::string_view what) {
  ERR_clear_error();
  return makeError(Errc::kCryptoFailure, std::string(what) + " failed in OpenSSL");
}

// ---------------------------------------------------------------------------------------
// HKDF

Result<std::string> hkdfSha256(std::string_view key, std::string_view salt, std::string_view info,
                               size_t length) {
  static const KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (length == 0 || length > 255 * 32) {
    return makeError(Errc::kInternal, "HKDF length out of range");
  }
  if (!kdf)
    return cryptoFailure("HKDF unavailable");
  KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx)
    return cryptoFailure("HKDF context");
  char digest[] = "SHA256";
  // OSSL_PARAM wants non-const pointers; OpenSSL only reads these buffers.
  std::string key_copy(key);
  std::string salt_copy(salt);
  std::string info_copy(info);
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_copy.data(), key_copy.size());
  if (!salt.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(), salt_copy.size());
  }
  if (!info.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_copy.data(), info_copy.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  std::string out(length, '\0');
  const bool ok = EVP_KDF_derive(ctx.get(), bytes(out), out.size(), params) == 1;
  OPENSSL_cleanse(key_copy.data(), key_copy.size());
  if (!ok)
    return cryptoFailure("HKDF derive");
  return out;
}

// ---------------------------------------------------------------------------------------
// AES-256-GCM, after openssl demos/cipher/aesgcm.c.

Result<std::string> aesGcmSeal(std::string_view key32, std::string_view plaintext,
                               std::string_view aad) {
  if (key32.size() != kAesKeyLen || !fitsInt(plaintext.size()) || !fitsInt(aad.size())) {
    return makeError(Errc::kInternal, "AES-256-GCM needs a 32-byte key");
  }
  // A random 96-bit nonce per message: with one key per cookie secret and far fewer than
  // 2^32 seals, the collision bound of SP 800-38D §8.3 is never approached.
  std::string out = randomBytes(kGcmNonceLen);
  out.resize(kGcmNonceLen + plaintext.size() + kGcmTagLen);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  unsigned char* ct = bytes(out) + kGcmNonceLen;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), aes256Gcm(), bytes(key32), bytes(out), nullptr) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      static_cast<size_t>(len) != plaintext.size() ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &final_len) != 1 || final_len != 0) {
    return cryptoFailure("AES-256-GCM encrypt");
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, ct + plaintext.size(),
                                        kGcmTagLen),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_CIPHER_CTX_get_params(ctx.get(), params) != 1) {
    return cryptoFailure("AES-256-GCM tag");
  }
  return out;
}

std::optional<std::string> aesGcmOpen(std::string_view key32, std::string_view sealed,
                                      std::string_view aad) {
  if (key32.size() != kAesKeyLen || sealed.size() < kGcmNonceLen + kGcmTagLen ||
      !fitsInt(sealed.size()) || !fitsInt(aad.size())) {
    return std::nullopt;
  }
  const std::string_view nonce = sealed.substr(0, kGcmNonceLen);
  const std::string_view ct =
      sealed.substr(kGcmNonceLen, sealed.size() - kGcmNonceLen - kGcmTagLen);
  std::string tag(sealed.substr(sealed.size() - kGcmTagLen));
  std::string out(ct.size(), '\0');
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag.data(), tag.size()),
      OSSL_PARAM_construct_end(),
  };
  // The tag is set before DecryptFinal, which returns <= 0 when authentication fails.
  if (!ctx ||
      EVP_DecryptInit_ex2(ctx.get(), aes256Gcm(), bytes(key32), bytes(nonce), nullptr) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), bytes(out), &len, bytes(ct), static_cast<int>(ct.size())) != 1 ||
      static_cast<size_t>(len) != ct.size() || EVP_CIPHER_CTX_set_params(ctx.get(), params) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), bytes(out) + len, &final_len) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string pkceChallengeS256(std::string_view verifier) {
  const auto digest = sha256(verifier);
  return base64UrlEncode({reinterpret_cast<const char*>(digest.data()), digest.size()});  // NOLINT
}

}  // namespace latchkey
