// libFuzzer target "path": see fuzzPath in fuzz_targets.h. Corpus: tests/fuzz/corpus/path/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzPath)
