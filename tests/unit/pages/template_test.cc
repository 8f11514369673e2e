// Page templates: values are always escaped; broken templates are refused at load.
#include "pages/template.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

const std::set<std::string, std::less<>> kAllowed = {"name", "picture"};

// A value can never become markup.
TEST(HtmlTemplate, ValuesAreEscaped) {
  auto tpl = HtmlTemplate::parse("<p>{{name}}</p>", kAllowed);
  ASSERT_TRUE(tpl) << tpl.error().detail;
  EXPECT_EQ(tpl->render({{"name", "<b>\"x\"&'y'</b>"}}),
            "<p>&lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/b&gt;</p>");
}

// A section shows only when its value is non-empty.
TEST(HtmlTemplate, SectionsFollowValues) {
  auto tpl = HtmlTemplate::parse("a{{#picture}}<img src=\"{{picture}}\">{{/picture}}b", kAllowed);
  ASSERT_TRUE(tpl) << tpl.error().detail;
  EXPECT_EQ(tpl->render({}), "ab");
  EXPECT_EQ(tpl->render({{"picture", "https://x/y"}}), "a<img src=\"https://x/y\">b");
}

// Unknown placeholders, unclosed tags and unbalanced sections are load errors.
TEST(HtmlTemplate, BrokenTemplatesRefused) {
  const auto typo = HtmlTemplate::parse("{{nmae}}", kAllowed);
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, Errc::kTemplateInvalid);
  EXPECT_NE(typo.error().detail.find("nmae"), std::string::npos);
  EXPECT_FALSE(HtmlTemplate::parse("{{name", kAllowed));
  EXPECT_FALSE(HtmlTemplate::parse("{{#name}}x", kAllowed));
  EXPECT_FALSE(HtmlTemplate::parse("{{/name}}", kAllowed));
  EXPECT_FALSE(HtmlTemplate::parse("{{#name}}{{#picture}}{{/name}}{{/picture}}", kAllowed));
}

}  // namespace
}  // namespace latchkey
