// private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core §9): a short-lived JWT
// signed with the client's own key proves the client to the token endpoint, so no shared
// secret exists at all.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "latchkey/util/result.h"

namespace latchkey {

// A loaded private key (RSA of at least 2048 bits -> RS256, EC P-256 -> ES256) and its
// optional key id. Immutable after load; sign() is thread-safe.
class ClientAssertionSigner {
 public:
  // Parses a PEM private key (PKCS#8 "PRIVATE KEY", "RSA PRIVATE KEY" or "EC PRIVATE KEY",
  // unencrypted). Errors (kInternal) say what is wrong with the key, never its content.
  static Result<std::shared_ptr<const ClientAssertionSigner>> fromPem(std::string_view pem,
                                                                      std::string key_id);

  // A compact JWS with iss = sub = client_id, aud = audience (the token endpoint URL),
  // a random jti, iat = now and exp = now + kLifetimeSeconds. Error kCryptoFailure only if
  // OpenSSL fails.
  Result<std::string> sign(std::string_view client_id, std::string_view audience,
                           int64_t now) const;

  // "RS256" or "ES256".
  const std::string& alg() const { return alg_; }

  // Short, because the token endpoint accepts it within seconds and RFC 7523 §3 lets a
  // provider refuse assertions that live long; one minute absorbs clock skew.
  static constexpr int64_t kLifetimeSeconds = 60;

  struct Key;
  ClientAssertionSigner(std::shared_ptr<Key> key, std::string alg, std::string key_id);

 private:
  std::shared_ptr<Key> key_;
  std::string alg_;
  std::string key_id_;
};

}  // namespace latchkey
