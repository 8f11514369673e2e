// A minimal, logic-less HTML template: {{name}} inserts a value, always HTML-escaped;
// {{#name}}...{{/name}} keeps its content only when the value is non-empty, or, when name is a
// list, repeats it once per item, with the item's values in front of the page's. There is no
// way to insert raw HTML, so no value can ever become markup.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/util/result.h"

namespace latchkey {

class HtmlTemplate {
 public:
  using Values = std::map<std::string, std::string, std::less<>>;
  using Lists = std::map<std::string, std::vector<Values>, std::less<>>;

  // Parses text; kTemplateInvalid, saying where, when a tag is unbalanced, unknown (not in
  // allowed) or malformed.
  static Result<HtmlTemplate> parse(std::string_view text,
                                    const std::set<std::string, std::less<>>& allowed);

  std::string render(const Values& values, const Lists& lists = {}) const;

 private:
  struct Piece {
    enum Kind { kText, kValue, kSectionStart, kSectionEnd } kind;
    std::string text;  // literal text, or the value name
    size_t end = 0;    // kSectionStart: index of its kSectionEnd
  };
  // Renders pieces_[begin, end) into out; item: the list item being repeated, if any.
  void renderRange(size_t begin, size_t end, const Values* item, const Values& values,
                   const Lists& lists, std::string& out) const;

  std::vector<Piece> pieces_;
};

}  // namespace latchkey
