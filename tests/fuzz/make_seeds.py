#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/, one file per case, named after
the attack or shape it stands for. Run once by hand when the targets change; the files are
checked in (and crash inputs found by the fuzzer are added next to them by hand).

Keys and times match tests/fuzz/fuzz_targets.h: Ed25519 key from RFC 8032 test 1, cookie
secret "fuzz-cookie-secret-0123456789abcdef!", now = 1700000000. Needs python3-cryptography.
"""
import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
NOW = 1700000000
ED = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
ED_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
SECRET = b"fuzz-cookie-secret-0123456789abcdef!"
RSA_N = ("1-RARRdWRDB9xuTpllvCe3_HLvFck86Y5gpQjuC_RrYpVftOA-tHJLqliBypkwryFRes2e6GBxu-i1TMpesNF7"
         "k9vksxyj0KYInGluwDWTlHXL3Lt_OdjHmKT-cXJWtYq-j8WyEzy5cOzET9lFgCt-b-Qnjjxso92tflNa2AV4L3"
         "2nxeHfijltheUCjBzn1g2i6YqhftNHynBx88GPxfXq9LD8z4Ys6WUuQlyxY78VXP_bdsfJ4aWcD_fHxtTkXrOy"
         "pU_UMRfVge1_kg7SZ0UcfulhjAlrH8y4yRdsPUF5hPsD9mI8vGj-jzRATNF5NwMo2Xz999jHBIqnzLQ_gq_w")
EC_X = "pettzGOQLnV_xudZiwGhrhbUwsH9CgpWBEFKJdJ84CE"
EC_Y = "ZTUJzwNmnFDpG7220fr67imATDjBI3-RfDZhZOWt0Hc"


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(header, payload, signature=None):
    signing_input = b64u(header) + "." + b64u(payload)
    if signature is None:
        signature = ED.sign(signing_input.encode())
    return signing_input + "." + b64u(signature)


def claims(**extra):
    c = {"iss": "https://idp.example", "sub": "user-1", "aud": "client-1", "exp": NOW + 3600,
         "iat": NOW, "nonce": "nonce-1"}
    c.update(extra)
    return json.dumps({k: v for k, v in c.items() if v is not None}, separators=(",", ":"))


GOOD_HEADER = '{"alg":"EdDSA","kid":"ed","typ":"JWT"}'


def hkdf(secret, info):
    prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


# session.cc binds the keys to the deployment: fuzz_targets.h's kCookieScope.
SCOPE = b"|4:oidc|19:https://idp.example|11:fuzz-client|8:latchkey"
MAC_KEY = hkdf(SECRET, b"latchkey v1 cookie mac" + SCOPE)


def cookie(purpose, payload, sealed64=""):
    """session.cc's form: v1.<b64 json>.<sealed64>.<mac>, MAC over "<b64 json>.<sealed64>"."""
    signed = b64u(payload) + "." + sealed64
    mac = hmac.new(MAC_KEY, ("latchkey|v1|%s|%s" % (purpose, signed)).encode(), hashlib.sha256)
    return "v1.%s.%s" % (signed, b64u(mac.digest()))


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode("latin-1") if isinstance(data, str) else data)


def main():
    # -- cookie: mode 0 raw value, 1 MAC-signed payload, 2 encrypted secrets, 3 round trip
    session = '{"sub":"user-1","em":"a@example.com","ev":true,"nm":"A","pic":"","iat":%d,"exp":%d,"aex":0}' % (NOW, NOW + 3600)
    good = cookie("session", session)
    write("cookie", "raw-valid-session", "0" + good)
    write("cookie", "truncated-mac", "0" + good[:-5])
    write("cookie", "no-mac", "0" + good[:good.rfind(".")])
    write("cookie", "wrong-version", "0v2" + good[2:])
    write("cookie", "mac-with-padding", "0" + good + "=")
    write("cookie", "login-mac-on-session-payload", "0" + cookie("login", session))
    write("cookie", "expired-session", "0" + cookie("session", session.replace(str(NOW + 3600), str(NOW - 1))))
    write("cookie", "oversized", "0v1." + "A" * 5000 + ".x")
    write("cookie", "signed-session-payload", "1" + session)
    write("cookie", "signed-login-payload", '1{"st":"s","rd":"/x","exp":%d}' % (NOW + 600))
    write("cookie", "extra-segment", "0" + cookie("session", session, "AAAA.BBBB"))
    write("cookie", "sealed-segment-garbage", "0" + cookie("session", session, "AAAA"))
    write("cookie", "old-two-part-format", "0" + good[:good.find(".", 3)] + good[good.rfind("."):])
    write("cookie", "signed-duplicate-sub", '1{"sub":"a","sub":"admin","iat":1,"exp":%d}' % (NOW + 60))
    write("cookie", "signed-wrong-types", '1{"sub":1,"iat":"1","exp":true}')
    write("cookie", "signed-huge-ints", '1{"sub":"a","iat":-9223372036854775808,"exp":9223372036854775807,"aex":18446744073709551615}')
    write("cookie", "signed-nul-in-sub", '1{"sub":"a\\u0000b","iat":1,"exp":%d}' % (NOW + 60))
    write("cookie", "signed-deep-nesting", "1" + "[" * 5000)
    write("cookie", "signed-not-object", '1["sub"]')
    write("cookie", "signed-unknown-key", '1{"sub":"a","iat":1,"exp":%d,"admin":true}' % (NOW + 60))
    write("cookie", "signed-lone-surrogate", '1{"sub":"\\ud800","iat":1,"exp":%d}' % (NOW + 60))
    write("cookie", "signed-old-tok-field", '1{"sub":"a","iat":1,"exp":%d,"tok":"!!"}' % (NOW + 60))
    write("cookie", "secrets-session-tokens", '2{"a":"at-1","r":"rt-1"}')
    write("cookie", "secrets-login-nonce-verifier", '2{"n":"nonce","v":"verifier"}')
    write("cookie", "secrets-duplicate-key", '2{"a":"x","a":"y"}')
    write("cookie", "secrets-not-json", "2\x00\xff garbage")
    write("cookie", "roundtrip-plain", "3user-1\nalice@example.com\nAlice\nhttps://p/x.png\nat\nrt")
    write("cookie", "roundtrip-control-and-utf8", "3\x01\x7f\"\\\n\xc3\xa9\xf0\x9f\x94\x91\n\x00\n\n\n")
    write("cookie", "roundtrip-invalid-utf8", "3\xff\xfe\n\xc0\xaf\n\xed\xa0\x80\n\n\n")

    # -- cookie_header
    write("cookie_header", "typical", "latchkey=v1.abc.def; latchkey-login-AbCd=v1.x.y; _ga=GA1.2")
    write("cookie_header", "quoted-value", 'latchkey="v1.abc.def"; lone="')
    write("cookie_header", "no-equals-and-empty-names", "junk; =value; ;;; a=; =")
    write("cookie_header", "duplicate-names", "latchkey=evil; latchkey=good")
    write("cookie_header", "too-many-pairs", "; ".join("c%d=%d" % (i, i) for i in range(100)))
    write("cookie_header", "control-chars", "a=\x00b;\tc = d \r\n; e=\xff")

    # -- urlencoded
    write("urlencoded", "typical-callback", "code=abc&state=xyz&iss=https%3A%2F%2Fidp.example")
    write("urlencoded", "plus-and-escapes", "a+b=c+d%20e&%26=%3D")
    write("urlencoded", "malformed-escape", "a=%G1")
    write("urlencoded", "truncated-escape", "a=%4")
    write("urlencoded", "empty-segments", "&&a&=&b=&&")
    write("urlencoded", "nul-and-utf8", "a=%00&%C3%A9=%FF")
    write("urlencoded", "duplicate-state", "state=one&state=two")

    # -- percent_decode: mode 0 path form, 1 form ('+' is space), 2 base64 / base64url
    write("percent_decode", "encoded-dot-dot-slash", "0%2e%2E%2f%5C")
    write("percent_decode", "plus-as-space", "1a+b%2Bc")
    write("percent_decode", "lone-percent", "0%")
    write("percent_decode", "nul-escape", "0%00")
    write("percent_decode", "overlong-utf8", "0%C0%AF")
    write("percent_decode", "base64url-canonical", "2AQAB")
    write("percent_decode", "base64url-noncanonical-bits", "2AQAC")
    write("percent_decode", "base64-padding", "2YWJj==")
    write("percent_decode", "base64-whitespace", "2YW Jj\n")

    # -- path
    write("path", "traversal", "/../etc/passwd")
    write("path", "encoded-traversal", "/oauth2/%2e%2e/%2E%2e/secret")
    write("path", "encoded-slash", "/oauth2%2Flogin")
    write("path", "dot-segments", "/./a/./b/../c/.")
    write("path", "double-slash", "//oauth2///login//")
    write("path", "nul-escape", "/login%00.html")
    write("path", "relative", "login")
    write("path", "malformed-escape", "/%zz")
    write("path", "double-encoded-traversal", "/%252e%252e/")

    # -- request: NAME=VALUE lines, empty line, body
    write("request", "nginx-auth-subrequest",
          "REQUEST_METHOD=GET\nDOCUMENT_URI=/oauth2/auth\nREQUEST_URI=/private/page?x=1\n"
          "QUERY_STRING=\nHTTP_COOKIE=latchkey=v1.a.b\nREMOTE_ADDR=127.0.0.1\nHTTPS=on\n"
          "LATCHKEY_FUZZ_BASE_PATH=/oauth2\n")
    write("request", "apache-cgi",
          "REQUEST_METHOD=GET\nSCRIPT_NAME=/cgi-bin/latchkey\nPATH_INFO=/login\n"
          "QUERY_STRING=rd=%2Fapp\nREQUEST_SCHEME=https\n")
    write("request", "post-logout-form",
          "REQUEST_METHOD=POST\nREQUEST_URI=/logout\nCONTENT_TYPE=application/x-www-form-urlencoded; charset=UTF-8\n"
          "\ncsrf=abc&rd=%2F")
    write("request", "path-traversal", "REQUEST_METHOD=GET\nREQUEST_URI=/../../etc/passwd\n")
    write("request", "bad-query-escape", "REQUEST_METHOD=GET\nREQUEST_URI=/login\nQUERY_STRING=rd=%ZZ\n")
    write("request", "outside-base-path", "REQUEST_METHOD=GET\nDOCUMENT_URI=/oauth2x/auth\nLATCHKEY_FUZZ_BASE_PATH=/oauth2\n")
    write("request", "oversized-form",
          "REQUEST_METHOD=POST\nREQUEST_URI=/logout\nCONTENT_TYPE=application/x-www-form-urlencoded\n\n"
          + "a=" + "b" * 17000)
    write("request", "no-method", "REQUEST_URI=/\n")

    # -- rd: the return-path check (RFC 9700 §4.11)
    for name, value in [
        ("protocol-relative", "//evil.example/"),
        ("backslash", "/\\evil.example"),
        ("encoded-slash", "/%2F%2Fevil.example"),
        ("encoded-backslash", "/%5Cevil.example"),
        ("double-encoded-slash", "/%252F%252Fevil.example"),
        ("triple-encoded-slash", "/%25252F%25252Fevil.example"),
        ("quadruple-encoded-slash", "/%2525252F%2525252Fevil.example"),
        ("tab-stripped-by-browser", "/\t/evil.example"),
        ("crlf-header-injection", "/%0d%0aSet-Cookie:%20x=y"),
        ("raw-crlf", "/a\r\nLocation: //evil"),
        ("javascript-scheme", "javascript:alert(1)"),
        ("absolute-url", "https://evil.example/"),
        ("good-local", "/app/page?x=1#frag"),
        ("nul", "/%00"),
        ("non-ascii", "/caf\xc3\xa9 \"<x>\""),
        ("lone-percent", "/%"),
        ("very-long", "/" + "a" * 3000),
    ]:
        write("rd", name, value)

    # -- jws: mode 0 raw token, 1 signed claims, 2 signed header
    write("jws", "valid-eddsa", "0" + jws(GOOD_HEADER, claims()))
    write("jws", "alg-none", "0" + jws('{"alg":"none"}', claims(), b""))
    write("jws", "alg-none-with-signature", "0" + jws('{"alg":"none","kid":"ed"}', claims(), b"x"))
    hs = b64u('{"alg":"HS256","kid":"rsa"}') + "." + b64u(claims())
    write("jws", "hs256-key-confusion", "0" + hs + "." + b64u(hmac.new(RSA_N.encode(), hs.encode(), hashlib.sha256).digest()))
    write("jws", "es256-random-signature", "0" + jws('{"alg":"ES256","kid":"ec"}', claims(), b"\x01" * 64))
    write("jws", "es256-der-signature", "0" + jws('{"alg":"ES256","kid":"ec"}', claims(), bytes.fromhex("3044022001" + "00" * 31 + "022001" + "00" * 31)))
    write("jws", "rs256-short-signature", "0" + jws('{"alg":"RS256","kid":"rsa"}', claims(), b"\x02" * 10))
    write("jws", "unknown-kid", "0" + jws('{"alg":"EdDSA","kid":"nope"}', claims()))
    write("jws", "kid-type-mismatch", "0" + jws('{"alg":"RS256","kid":"ed"}', claims(), b"\x00" * 256))
    write("jws", "jku-header-ignored", "0" + jws('{"alg":"EdDSA","kid":"ed","jku":"https://evil/jwks","jwk":{"kty":"oct"}}', claims()))
    write("jws", "crit-header", "0" + jws('{"alg":"EdDSA","kid":"ed","crit":["exp"]}', claims()))
    write("jws", "four-parts", "0" + jws(GOOD_HEADER, claims()) + ".x")
    write("jws", "two-parts", "0" + b64u(GOOD_HEADER) + "." + b64u(claims()))
    write("jws", "padded-base64", "0" + b64u(GOOD_HEADER) + "==." + b64u(claims()) + ".AA==")
    write("jws", "empty-parts", "0..")
    write("jws", "claims-good", "1" + claims(email="a@example.com", email_verified=True))
    write("jws", "claims-expired", "1" + claims(exp=NOW - 3600))
    write("jws", "claims-issued-in-future", "1" + claims(iat=NOW + 3600))
    write("jws", "claims-wrong-audience", "1" + claims(aud="other"))
    write("jws", "claims-multi-aud-no-azp", "1" + claims(aud=["client-1", "other"]))
    write("jws", "claims-azp-mismatch", "1" + claims(azp="other"))
    write("jws", "claims-no-nonce", "1" + claims(nonce=None))
    write("jws", "claims-empty-sub", "1" + claims(sub=""))
    write("jws", "claims-float-exp", '1{"iss":"https://idp.example","sub":"u","aud":"client-1","exp":1.7e9,"iat":1700000000,"nonce":"nonce-1"}')
    write("jws", "claims-int64-extremes", "1" + claims(exp=9223372036854775807, iat=-9223372036854775808))
    write("jws", "claims-duplicate-iss", '1{"iss":"https://evil","iss":"https://idp.example","sub":"u","aud":"client-1","exp":1700003600,"iat":1700000000,"nonce":"nonce-1"}')
    write("jws", "claims-not-json", "1\x00\xff")
    write("jws", "header-good", "2" + GOOD_HEADER)
    write("jws", "header-alg-none", '2{"alg":"none","kid":"ed"}')
    write("jws", "header-alg-hs256", '2{"alg":"HS256","kid":"ed"}')
    write("jws", "header-alg-lowercase", '2{"alg":"eddsa","kid":"ed"}')
    write("jws", "header-alg-rs256-on-ed-key", '2{"alg":"RS256","kid":"ed"}')
    write("jws", "header-no-kid", '2{"alg":"EdDSA"}')
    write("jws", "header-kid-number", '2{"alg":"EdDSA","kid":1}')
    write("jws", "header-duplicate-alg", '2{"alg":"none","alg":"EdDSA","kid":"ed"}')

    # -- jwks
    ed = {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "use": "sig", "x": ED_X}
    rsa = {"kty": "RSA", "kid": "rsa", "alg": "RS256", "use": "sig", "e": "AQAB", "n": RSA_N}
    ec = {"kty": "EC", "kid": "ec", "crv": "P-256", "alg": "ES256", "x": EC_X, "y": EC_Y}

    def jwks(*keys):
        return json.dumps({"keys": list(keys)}, separators=(",", ":"))
    write("jwks", "valid-three-keys", jwks(ed, rsa, ec))
    write("jwks", "rsa-1024", jwks(dict(rsa, n=b64u(b"\xc1" + b"\x01" * 127))))
    write("jwks", "rsa-exponent-huge", jwks(dict(rsa, e=b64u(b"\xff" * 600))))
    write("jwks", "rsa-modulus-leading-zeros", jwks(dict(rsa, n="AAAA" + RSA_N)))
    write("jwks", "ec-point-off-curve", jwks(dict(ec, y=EC_X)))
    write("jwks", "ec-wrong-coordinate-size", jwks(dict(ec, x=EC_X[:-4])))
    write("jwks", "ec-curve-mismatch", jwks(dict(ec, crv="P-384")))
    write("jwks", "okp-ed448", jwks(dict(ed, crv="Ed448")))
    write("jwks", "okp-x25519-encryption", jwks(dict(ed, crv="X25519")))
    write("jwks", "use-enc", jwks(dict(ed, use="enc")))
    write("jwks", "key-ops-sign-only", jwks(dict(ed, key_ops=["sign"])))
    write("jwks", "alg-hs256", jwks(dict(rsa, alg="HS256")))
    write("jwks", "oct-symmetric-key", jwks({"kty": "oct", "k": "c2VjcmV0", "kid": "ed"}))
    write("jwks", "duplicate-kid", jwks(ed, dict(ec, kid="ed")))
    write("jwks", "too-many-keys", jwks(*([ed] * 65)))
    write("jwks", "keys-not-array", '{"keys":{"kty":"OKP"}}')
    write("jwks", "not-object", '[{"keys":[]}]')
    write("jwks", "empty-keys", '{"keys":[]}')
    write("jwks", "deep-nesting", '{"keys":[' + "[" * 3000 + "]" * 3000 + "]}")
    write("jwks", "duplicate-keys-member", '{"keys":[],"keys":[%s]}' % json.dumps(ed))

    # -- discovery: mode picks the status ('0'-'4' 200, '5' 404, '6' 500, '7' 301)
    disc = {"issuer": "https://idp.example",
            "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token",
            "jwks_uri": "https://idp.example/jwks",
            "userinfo_endpoint": "https://idp.example/userinfo",
            "revocation_endpoint": "https://idp.example/revoke",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": ["EdDSA", "RS256"]}

    def d(**over):
        x = dict(disc)
        x.update(over)
        return "0" + json.dumps({k: v for k, v in x.items() if v is not None})
    write("discovery", "valid", d())
    write("discovery", "issuer-mismatch", d(issuer="https://evil.example"))
    write("discovery", "issuer-trailing-slash", d(issuer="https://idp.example/"))
    write("discovery", "http-endpoint-not-loopback", d(token_endpoint="http://idp.example/token"))
    write("discovery", "http-loopback-endpoint", d(token_endpoint="http://127.0.0.1:8080/token"))
    write("discovery", "userinfo-at-sign-host", d(userinfo_endpoint="http://127.0.0.1@evil.example/"))
    write("discovery", "javascript-endpoint", d(authorization_endpoint="javascript:alert(1)"))
    write("discovery", "missing-jwks-uri", d(jwks_uri=None))
    write("discovery", "endpoint-number", d(token_endpoint=5))
    write("discovery", "auth-methods-not-array", d(token_endpoint_auth_methods_supported="client_secret_post"))
    write("discovery", "status-500", "6" + json.dumps(disc))
    write("discovery", "redirect-301", "7")
    write("discovery", "html-error-page", "0<html>oops</html>")

    # -- token_response: mode bits 0-1 status (200,200,400,500), 2 id_token required, 3 refresh
    idt = jws(GOOD_HEADER, claims())
    write("token_response", "valid-with-id-token", "4" + json.dumps({"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": idt, "refresh_token": "rt"}))
    write("token_response", "github-error-with-200", '0{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}')
    write("token_response", "invalid-grant-400", '2{"error":"invalid_grant"}')
    write("token_response", "refresh-invalid-grant", '>{"error":"invalid_grant"}')
    write("token_response", "invalid-client-401", '2{"error":"invalid_client","error_description":"\\u0000\\n\\r"}')
    write("token_response", "expires-in-string", '0{"access_token":"a","token_type":"bearer","expires_in":"3600"}')
    write("token_response", "expires-in-int64-max", '0{"access_token":"a","token_type":"Bearer","expires_in":9223372036854775807}')
    write("token_response", "expires-in-negative", '0{"access_token":"a","token_type":"Bearer","expires_in":-1}')
    write("token_response", "expires-in-float", '0{"access_token":"a","token_type":"Bearer","expires_in":1e300}')
    write("token_response", "token-type-mac", '0{"access_token":"a","token_type":"mac"}')
    write("token_response", "id-token-number", '4{"access_token":"a","token_type":"Bearer","id_token":1}')
    write("token_response", "missing-access-token", '0{"token_type":"Bearer"}')
    write("token_response", "error-not-string", '2{"error":{"code":1}}')
    write("token_response", "html-500", "3<html>Internal error</html>")
    write("token_response", "duplicate-access-token", '0{"access_token":"a","access_token":"b","token_type":"Bearer"}')

    # -- userinfo: 0 OIDC userinfo, 1 OIDC token response, 2 OIDC refresh, 3 GitHub token,
    #    4 GitHub /user, 5 GitHub /user/emails
    idt_no_email = jws(GOOD_HEADER, claims())
    write("userinfo", "oidc-userinfo-good", '0{"sub":"user-1","email":"a@example.com","email_verified":true,"name":"A"}')
    write("userinfo", "oidc-userinfo-sub-substitution", '0{"sub":"admin","email":"admin@example.com","email_verified":true}')
    write("userinfo", "oidc-userinfo-no-sub", '0{"email":"a@example.com"}')
    write("userinfo", "oidc-userinfo-email-not-string", '0{"sub":"user-1","email":["a@example.com"],"email_verified":"true"}')
    write("userinfo", "oidc-userinfo-jwt-body", "0" + idt_no_email)
    write("userinfo", "oidc-token-good", "1" + json.dumps({"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": idt_no_email}))
    write("userinfo", "oidc-token-expires-in-int64-max", "1" + json.dumps({"access_token": "at", "token_type": "Bearer", "expires_in": 9223372036854775807, "id_token": idt_no_email}))
    write("userinfo", "oidc-token-expires-in-digits", "1" + json.dumps({"access_token": "at", "token_type": "Bearer", "expires_in": "999999999", "id_token": idt_no_email}))
    write("userinfo", "oidc-refresh-good", '2{"access_token":"at2","token_type":"Bearer","expires_in":60}')
    write("userinfo", "oidc-refresh-expires-in-int64-max", '2{"access_token":"at2","token_type":"Bearer","expires_in":9223372036854775807}')
    write("userinfo", "github-token-good", '3{"access_token":"gho_x","token_type":"bearer","scope":"user:email"}')
    write("userinfo", "github-token-expires-in-int64-max", '3{"access_token":"gho_x","token_type":"bearer","expires_in":9223372036854775807}')
    write("userinfo", "github-user-good", '4{"id":42,"login":"alice","name":null,"avatar_url":"https://a/x.png"}')
    write("userinfo", "github-user-id-negative", '4{"id":-1,"login":"alice"}')
    write("userinfo", "github-user-id-float", '4{"id":4.2e1,"login":"alice"}')
    write("userinfo", "github-user-id-string", '4{"id":"42","login":"alice"}')
    write("userinfo", "github-emails-primary-unverified", '5[{"email":"a@example.com","primary":true,"verified":false},{"email":"b@example.com","primary":false,"verified":true}]')
    write("userinfo", "github-emails-not-array", '5{"email":"a@example.com"}')
    write("userinfo", "github-emails-deep-nesting", "5" + "[" * 5000)

    # -- config
    minimal = ("client_id = my-client\nclient_secret = s3cret#with-hash\n"
               "redirect_uri = https://app.example.com/login/authorized\n"
               "cookie_secret = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n")
    write("config", "minimal-valid", minimal)
    write("config", "full-oidc", minimal + "provider = oidc\nissuer = https://idp.example\n"
          "scopes = openid email\nallowed_domains = example.com\nbase_path = /oauth2\n"
          "http_timeout = 5\nlog_level = debug\nsession_lifetime = 3600\n# comment\n")
    write("config", "unknown-key", minimal + "cookie_secure = false\n")
    write("config", "repeated-key", minimal + "client_id = other\n")
    write("config", "comment-mid-line", minimal + "http_timeout = 5 # seconds\n")
    write("config", "quoted-values", minimal.replace("my-client", '"my client"') + 'base_path = ""\n')
    write("config", "crlf-line-endings", minimal.replace("\n", "\r\n"))
    write("config", "short-cookie-secret", minimal.replace("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "MDEyMzQ1Njc4OWFiY2RlZg=="))
    write("config", "secret-and-secret-file", minimal + "client_secret_file = missing-file\n")
    write("config", "base-path-trailing-slash", minimal + "base_path = /oauth2/\n")
    write("config", "http-redirect-uri-not-loopback", minimal.replace("https://app", "http://app"))
    write("config", "timeout-overflow", minimal + "http_timeout = 99999999999999999999\n")
    write("config", "lifetime-zero", minimal + "session_lifetime = 0\n")
    write("config", "nul-and-high-bytes", minimal + "name\x00 = \xff\xfe\n")
    write("config", "no-equals-line", minimal + "just words\n")
    write("config", "very-long-line", minimal + "client_id = " + "x" * 6000 + "\n")
    write("config", "github-enterprise", minimal + "provider = github\nissuer = https://github.example.com/\n")


if __name__ == "__main__":
    sys.exit(main())
