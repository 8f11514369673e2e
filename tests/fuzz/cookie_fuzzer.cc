// libFuzzer target "cookie": see fuzzCookie in fuzz_targets.h. Corpus: tests/fuzz/corpus/cookie/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzCookie)
