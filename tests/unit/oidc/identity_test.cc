// validatedIdentity: the one gate every identity passes (ID token, userinfo, GitHub API).
#include <gtest/gtest.h>

#include <string>

#include "latchkey/oidc/identity_provider.h"

namespace latchkey {
namespace {

Identity sample() {
  return Identity{"user-1", "alice@example.com", true, "Alice", "https://p.example/a.png", ""};
}

// True when text is well-formed UTF-8 (no cut sequence at the end).
bool wellFormedUtf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
    if (len == 0 || i + len > text.size()) {
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

// An ordinary identity passes unchanged.
TEST(Identity, OrdinaryIdentityUnchanged) {
  auto r = validatedIdentity(sample());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sub, "user-1");
  EXPECT_EQ(r->email, "alice@example.com");
  EXPECT_EQ(r->name, "Alice");
  EXPECT_EQ(r->picture, "https://p.example/a.png");
}

// ESC, BEL, VT, DEL and the rest of C0 never survive in a name (they reached upstream headers
// from userinfo and GitHub before): each becomes a space.
TEST(Identity, ControlCharactersInNameBecomeSpaces) {
  Identity in = sample();
  in.name =
      "A\x1b[31mB\x07"
      "C\x0b"
      "D\x7f"
      "E\t";
  auto r = validatedIdentity(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "A [31mB C D E ");
}

// A long name (thousands of characters, multi-byte) is cut at a character boundary, so the
// sign-in goes on with a cookie browsers keep.
TEST(Identity, LongNameIsCutAtACharacterBoundary) {
  Identity in = sample();
  in.name = "x";
  for (int i = 0; i < 3000; ++i) {
    in.name += "\xc3\xa9";  // é, two bytes: the cut at 256 would split one
  }
  auto r = validatedIdentity(in);
  ASSERT_TRUE(r);
  EXPECT_LE(r->name.size(), kMaxNameBytes);
  EXPECT_GE(r->name.size(), kMaxNameBytes - 3);
  EXPECT_TRUE(wellFormedUtf8(r->name));
  in.name = std::string(5000, 'n');
  EXPECT_EQ(validatedIdentity(in)->name, std::string(kMaxNameBytes, 'n'));
}

// A picture that is too long, holds a control character or is not a web URL is dropped.
TEST(Identity, BadPictureIsDropped) {
  for (const std::string& picture : {"https://p.example/" + std::string(kMaxPictureBytes, 'a'),
                                     std::string("https://p.example/a\r.png"),
                                     std::string("javascript:alert(1)"), std::string("data:x")}) {
    Identity in = sample();
    in.picture = picture;
    auto r = validatedIdentity(in);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->picture.empty()) << picture;
  }
}

// sub and e-mail identify the user and end up in headers: bad ones refuse the sign-in.
TEST(Identity, BadSubOrEmailRefused) {
  for (const std::string& sub : {std::string(), std::string(256, 's'),
                                 std::string("a\x1b"
                                             "b")}) {
    Identity in = sample();
    in.sub = sub;
    auto r = validatedIdentity(in);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kProviderBadResponse);
  }
  for (const std::string& email :
       {std::string(250, 'e') + "@x.example", std::string("a\x07@x.example")}) {
    Identity in = sample();
    in.email = email;
    EXPECT_FALSE(validatedIdentity(in));
  }
}

}  // namespace
}  // namespace latchkey
