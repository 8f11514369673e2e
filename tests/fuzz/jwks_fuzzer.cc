// libFuzzer target "jwks": see fuzzJwks in fuzz_targets.h. Corpus: tests/fuzz/corpus/jwks/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzJwks)
