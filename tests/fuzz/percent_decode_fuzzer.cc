// libFuzzer target "percent_decode": see fuzzPercentDecode in fuzz_targets.h. Corpus:
// tests/fuzz/corpus/percent_decode/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzPercentDecode)
