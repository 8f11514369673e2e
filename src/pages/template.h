// A minimal, logic-less HTML template: {{name}} inserts a value, always HTML-escaped;
// {{#name}}...{{/name}} keeps its content only when the value is non-empty. There is no
// way to insert raw HTML, so no value can ever become markup.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

class HtmlTemplate {
 public:
  // Parses text; returns nullopt and sets error when a tag is unbalanced, unknown
  // (not in allowed) or malformed.
  static std::optional<HtmlTemplate> parse(std::string_view text,
                                           const std::set<std::string, std::less<>>& allowed,
                                           std::string& error);

  std::string render(const std::map<std::string, std::string, std::less<>>& values) const;

 private:
  struct Piece {
    enum Kind { kText, kValue, kSectionStart, kSectionEnd } kind;
    std::string text;  // literal text, or the value name
    size_t end = 0;    // kSectionStart: index of its kSectionEnd
  };
  std::vector<Piece> pieces_;
};

}  // namespace latchkey
