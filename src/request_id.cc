#include "latchkey/request_id.h"

#include "latchkey/crypto.h"

namespace latchkey {
namespace {

thread_local std::string t_request_id;

}  // namespace

// 72 random bits: unique enough to find one line among a busy site's logs, short enough
// to read out over the phone.
RequestIdScope::RequestIdScope() {
  t_request_id = randomToken(9);
}

RequestIdScope::~RequestIdScope() {
  t_request_id.clear();
}

std::string_view currentRequestId() {
  return t_request_id;
}

}  // namespace latchkey
