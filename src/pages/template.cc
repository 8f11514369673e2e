#include "pages/template.h"

#include "latchkey/util/encoding.h"

namespace latchkey {
namespace {

Error invalid(std::string detail) {
  return makeError(Errc::kTemplateInvalid, std::move(detail));
}

}  // namespace

Result<HtmlTemplate> HtmlTemplate::parse(std::string_view text,
                                         const std::set<std::string, std::less<>>& allowed) {
  HtmlTemplate tpl;
  std::vector<size_t> open_sections;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      tpl.pieces_.push_back({Piece::kText, std::string(text.substr(pos)), 0});
      break;
    }
    if (open > pos) {
      tpl.pieces_.push_back({Piece::kText, std::string(text.substr(pos, open - pos)), 0});
    }
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return invalid("a '{{' is never closed");
    }
    std::string_view tag = text.substr(open + 2, close - open - 2);
    Piece::Kind kind = Piece::kValue;
    if (!tag.empty() && (tag[0] == '#' || tag[0] == '/')) {
      kind = tag[0] == '#' ? Piece::kSectionStart : Piece::kSectionEnd;
      tag.remove_prefix(1);
    }
    if (!allowed.contains(tag)) {
      return invalid("unknown placeholder {{" +
                     std::string(text.substr(open + 2, close - open - 2)) + "}}");
    }
    if (kind == Piece::kSectionStart) {
      open_sections.push_back(tpl.pieces_.size());
    } else if (kind == Piece::kSectionEnd) {
      if (open_sections.empty() || tpl.pieces_[open_sections.back()].text != tag) {
        return invalid("{{/" + std::string(tag) + "}} does not close the open section");
      }
      tpl.pieces_[open_sections.back()].end = tpl.pieces_.size();
      open_sections.pop_back();
    }
    tpl.pieces_.push_back({kind, std::string(tag), 0});
    pos = close + 2;
  }
  if (!open_sections.empty()) {
    return invalid("section {{#" + tpl.pieces_[open_sections.back()].text + "}} is never closed");
  }
  return tpl;
}

std::string HtmlTemplate::render(const Values& values, const Lists& lists) const {
  std::string out;
  out.reserve(4096);
  renderRange(0, pieces_.size(), nullptr, values, lists, out);
  return out;
}

void HtmlTemplate::renderRange(size_t begin, size_t end, const Values* item, const Values& values,
                               const Lists& lists, std::string& out) const {
  const auto lookup = [&](const std::string& name) -> const std::string* {
    if (item != nullptr) {
      if (auto it = item->find(name); it != item->end()) {
        return &it->second;
      }
    }
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  };
  for (size_t i = begin; i < end; ++i) {
    const Piece& piece = pieces_[i];
    switch (piece.kind) {
      case Piece::kText:
        out += piece.text;
        break;
      case Piece::kValue:
        if (const std::string* value = lookup(piece.text)) {
          out += htmlEscape(*value);
        }
        break;
      case Piece::kSectionStart:
        if (auto list = lists.find(piece.text); list != lists.end() && item == nullptr) {
          for (const Values& each : list->second) {
            renderRange(i + 1, piece.end, &each, values, lists, out);
          }
          i = piece.end;
        } else if (const std::string* value = lookup(piece.text); !value || value->empty()) {
          i = piece.end;  // skip to the matching end tag
        }
        break;
      case Piece::kSectionEnd:
        break;
    }
  }
}

}  // namespace latchkey
