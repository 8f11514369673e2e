// Private to the JOSE files: the key material behind a Jwk, and the algorithm table shared
// by JWK parsing (which algs a key may serve) and JWS verification.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "latchkey/jose/jose.h"
#include "latchkey/util/openssl_ptr.h"

namespace latchkey {

struct Jwk::Impl {
  PkeyPtr pkey;  // public key only; never mutated after parseJwks
};

namespace detail {

enum class JwsFamily { kRsaPkcs1, kRsaPss, kEcdsa, kEdDsa };

// One row per allowed JWS alg (RFC 7518 §3.1, RFC 8037 §3.1).
struct JwsAlgInfo {
  std::string_view name;
  JwsFamily family;
  const char* digest;    // nullptr for EdDSA (PureEdDSA hashes internally)
  std::string_view crv;  // EC / OKP curve the key must have; empty for RSA
  size_t coord_size;     // ECDSA: bytes of r and of s (RFC 7518 §3.4)
};

// nullptr when alg is not on the allow-list.
const JwsAlgInfo* findJwsAlg(std::string_view alg);

}  // namespace detail
}  // namespace latchkey
