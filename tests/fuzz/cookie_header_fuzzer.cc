// libFuzzer target "cookie_header": see fuzzCookieHeader in fuzz_targets.h. Corpus:
// tests/fuzz/corpus/cookie_header/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzCookieHeader)
