// libFuzzer target "urlencoded": see fuzzUrlEncoded in fuzz_targets.h. Corpus:
// tests/fuzz/corpus/urlencoded/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzUrlEncoded)
