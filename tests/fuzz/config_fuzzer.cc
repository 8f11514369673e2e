// libFuzzer target "config": see fuzzConfig in fuzz_targets.h. Corpus: tests/fuzz/corpus/config/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzConfig)
