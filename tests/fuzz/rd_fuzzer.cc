// libFuzzer target "rd": see fuzzReturnPath in fuzz_targets.h. Corpus: tests/fuzz/corpus/rd/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzReturnPath)
