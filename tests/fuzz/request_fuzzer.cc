// libFuzzer target "request": see fuzzRequest in fuzz_targets.h. Corpus:
// tests/fuzz/corpus/request/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzRequest)
