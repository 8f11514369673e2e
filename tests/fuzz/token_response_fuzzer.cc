// libFuzzer target "token_response": see fuzzTokenResponse in fuzz_targets.h. Corpus:
// tests/fuzz/corpus/token_response/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzTokenResponse)
