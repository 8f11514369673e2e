// libFuzzer target "discovery": see fuzzDiscovery in fuzz_targets.h. Corpus:
// tests/fuzz/corpus/discovery/.
#include "fuzz_targets.h"

LATCHKEY_FUZZ_TARGET(fuzzDiscovery)
