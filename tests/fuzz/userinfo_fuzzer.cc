// libFuzzer target "userinfo": see fuzzUserinfo in fuzz_targets.h. Corpus:
// tests/fuzz/corpus/userinfo/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzUserinfo)
