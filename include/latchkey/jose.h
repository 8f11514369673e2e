// JOSE: JSON Web Keys (RFC 7517/7518) and compact JWS (RFC 7515) verification.
// Only asymmetric algorithms on an explicit allow-list: RS256/384/512, PS256/384/512,
// ES256/384/512, EdDSA (Ed25519). Never "none", never HS* (a public key is not a secret).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/result.h"

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

struct JwkSet {
  std::vector<Jwk> keys;  // only keys that parsed and are usable for signatures ("use" != "enc")
};

// Parses a JWKS document. Keys with unknown kty, bad parameters or use=enc are skipped;
// kJwksInvalid when the document is not a JWKS at all.
Result<JwkSet> parseJwks(std::string_view json_text);

// A parsed compact JWS: header and payload JSON text, the signing input and the signature.
struct Jws {
  std::string alg;
  std::string kid;  // may be empty
  std::string header_json;
  std::string payload_json;
  std::string signing_input;  // "<b64 header>.<b64 payload>"
  std::string signature;      // raw bytes
};

// Strict: exactly three base64url parts, header a JSON object with a string "alg",
// no "crit", payload any bytes. kIdTokenMalformed otherwise.
Result<Jws> parseCompactJws(std::string_view compact);

bool isAllowedJwsAlg(std::string_view alg);

// Finds the key: by kid when the JWS has one (the key's kty and alg must fit the JWS alg),
// else the single key fitting the alg. kIdTokenAlgNotAllowed, kIdTokenUnknownKid,
// kIdTokenBadSignature.
Status verifyJwsSignature(const Jws& jws, const JwkSet& keys);

}  // namespace latchkey
