// libFuzzer target "jws": see fuzzJws in fuzz_targets.h. Corpus: tests/fuzz/corpus/jws/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzJws)
