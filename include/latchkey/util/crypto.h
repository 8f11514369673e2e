// Cryptographic primitives on OpenSSL 3. Every function checks every OpenSSL return value
// and reports failure as a value; none throws.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "latchkey/util/encoding.h"
#include "latchkey/util/result.h"

namespace latchkey {

// n bytes from the OpenSSL CSPRNG (RAND_bytes). Aborts the process if the CSPRNG fails:
// continuing without randomness would issue guessable state values.
std::string randomBytes(size_t n);
// base64url of n random bytes: state, nonce, PKCE verifier.
std::string randomToken(size_t n_bytes);

std::array<uint8_t, 32> sha256(std::string_view data);

// HMAC-SHA256 with EVP_MAC. The keyed context is prepared once at construction; mac() is
// thread-safe and reuses pooled copies of it, so the steady state allocates nothing per call.
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;

  std::array<uint8_t, 32> mac(std::string_view data) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;  // pimpl keeps OpenSSL types out of this header
};

// RFC 5869 HKDF-SHA256 via EVP_KDF "HKDF". An empty salt means HashLen zero bytes (§2.2).
// kInternal when length is 0 or over 255 * 32 (§2.3), or OpenSSL fails.
Result<std::string> hkdfSha256(std::string_view key, std::string_view salt, std::string_view info,
                               size_t length);

// AES-256-GCM. seal returns nonce(12) || ciphertext || tag(16), or kInternal when key32 is
// not 32 bytes or OpenSSL fails. open returns nullopt when the key, the AAD or any byte of
// the input is wrong.
Result<std::string> aesGcmSeal(std::string_view key32, std::string_view plaintext,
                               std::string_view aad);
std::optional<std::string> aesGcmOpen(std::string_view key32, std::string_view sealed,
                                      std::string_view aad);

// CRYPTO_memcmp after a length check; the time depends only on the lengths.
bool constantTimeEquals(std::string_view a, std::string_view b);

// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).
std::string pkceChallengeS256(std::string_view verifier);

}  // namespace latchkey
