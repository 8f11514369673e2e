// JOSE: JSON Web Keys (RFC 7517/7518) and compact JWS (RFC 7515) verification.
// Only asymmetric algorithms on an explicit allow-list: RS256/384/512, PS256/384/512,
// ES256/384/512, EdDSA (Ed25519). Never "none", never HS* (a public key is not a secret).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/util/result.h"

namespace latchkey {

// A public key from a JWKS, usable for one family of algorithms.
class Jwk {
 public:
  Jwk();
  ~Jwk();
  Jwk(Jwk&&) noexcept;
  Jwk& operator=(Jwk&&) noexcept;
  Jwk(const Jwk&) = delete;
  Jwk& operator=(const Jwk&) = delete;

  std::string kid;
  std::string kty;  // "RSA", "EC", "OKP"
  std::string alg;  // may be empty
  std::string crv;  // EC / OKP

  struct Impl;
  std::unique_ptr<Impl> impl;  // the EVP_PKEY
};

// Immutable after parseJwks: verifying with one set from many threads at once is safe.
struct JwkSet {
  std::vector<Jwk> keys;  // only keys that parsed and are usable for signatures ("use" != "enc")
  std::vector<std::string> skipped;  // for logs: why each skipped key was skipped (no key data)
};

// Parses a JWKS document (RFC 7517 §5). Keys with unknown kty, bad parameters, use other than
// "sig", key_ops without "verify", an "alg" not on the allow-list, RSA moduli under 2048 bits
// or EC points not on the curve are skipped (and listed in `skipped`); kJwksInvalid when the
// document is not a JWKS at all (not a JSON object, no "keys" array, more than 64 entries).
// An empty result set is not an error here; verification then fails with kIdTokenUnknownKid.
Result<JwkSet> parseJwks(std::string_view json_text);

// A parsed compact JWS: header and payload JSON text, the signing input and the signature.
struct Jws {
  std::string alg;
  std::string kid;  // may be empty
  std::string payload_json;
  std::string signing_input;  // "<b64 header>.<b64 payload>"
  std::string signature;      // raw bytes
};

// Strict: exactly three base64url parts (no padding), at most kMaxCompactJwsSize bytes, header
// a JSON object (no duplicate names) with a string "alg", "kid" a string when present, no
// "crit", a non-empty signature, payload any bytes. kIdTokenMalformed otherwise. Header keys
// that point elsewhere ("jku", "x5u", "jwk", "x5c") are ignored: keys come only from the JWKS.
inline constexpr size_t kMaxCompactJwsSize = 256 * 1024;
Result<Jws> parseCompactJws(std::string_view compact);

bool isAllowedJwsAlg(std::string_view alg);

// Finds the key: by kid when the JWS has one (the key's kty and alg must fit the JWS alg),
// else the single key fitting the alg. kIdTokenAlgNotAllowed (alg not on the list),
// kIdTokenUnknownKid (a kid no key in the set has: the caller may refetch the JWKS),
// kIdTokenBadSignature (no fitting key, several candidates without kid, or the signature
// does not verify). Thread-safe; allocates a fresh EVP_MD_CTX per call.
Status verifyJwsSignature(const Jws& jws, const JwkSet& keys);

}  // namespace latchkey
