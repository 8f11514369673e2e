// JSON that this program wrote and signed (a session payload, its group cookie), parsed
// again once the signature or the signed digest has been checked.
#pragma once

#include <rapidjson/document.h>

#include <string>

namespace latchkey {

// Parsing into stack buffers keeps the /auth fast path free of heap allocations for
// ordinary cookies; a larger one spills to the heap transparently.
using PoolAllocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using PoolDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, PoolAllocator, PoolAllocator>;

// An object parsed in place (strings point into `text`, which must outlive this and stays
// NUL-terminated as std::string guarantees) on stack buffers: no string is copied. Only for
// text whose signature has been checked: none of the checks untrusted JSON needs (nesting
// pre-scan, UTF-8 validation, duplicate names) is made. Our writer escapes NUL as \u0000, so
// text we signed never holds a raw NUL that would end it early.
class SignedJsonDocument {
 public:
  explicit SignedJsonDocument(std::string& text)
      : value_alloc_(value_buffer_, sizeof(value_buffer_)),
        parse_alloc_(parse_buffer_, sizeof(parse_buffer_)),
        doc_(&value_alloc_, sizeof(parse_buffer_), &parse_alloc_) {
    doc_.ParseInsitu(text.data());
  }
  SignedJsonDocument(const SignedJsonDocument&) = delete;
  SignedJsonDocument& operator=(const SignedJsonDocument&) = delete;

  bool ok() const { return !doc_.HasParseError() && doc_.IsObject(); }
  const PoolDocument& doc() const { return doc_; }

 private:
  char value_buffer_[1024];
  char parse_buffer_[512];
  PoolAllocator value_alloc_;
  PoolAllocator parse_alloc_;
  PoolDocument doc_;
};

}  // namespace latchkey
