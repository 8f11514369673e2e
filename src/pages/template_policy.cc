#include "pages/template_policy.h"

#include <algorithm>

#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/text.h"

namespace latchkey::template_policy {

// The HTML parser turns CRLF and lone CR into LF before a <style> block is hashed for the CSP,
// so the template is normalised the same way first (a file saved on Windows must still match).
std::string normaliseNewlines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);  // a UTF-8 byte order mark from an editor
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else {
      out += text[i];
    }
  }
  return out;
}

// The <style ...> elements of a template, or an error for one that is never closed.
Result<std::vector<StyleBlock>> styleBlocks(std::string_view text) {
  const std::string lower = toLowerAscii(text);
  std::vector<StyleBlock> blocks;
  size_t pos = 0;
  while ((pos = lower.find("<style", pos)) != std::string::npos) {
    const char after = pos + 6 < lower.size() ? lower[pos + 6] : '\0';
    if (after != '>' && after != ' ' && after != '\t' && after != '\n' && after != '/') {
      pos += 6;  // <styles> or similar: not a style element
      continue;
    }
    const size_t open_end = lower.find('>', pos);
    const size_t close = open_end == std::string::npos ? open_end : lower.find("</style", open_end);
    if (close == std::string::npos) {
      return makeError(Errc::kTemplateInvalid, "a <style> element is never closed with </style>");
    }
    blocks.push_back({open_end + 1, close});
    pos = close;
  }
  return blocks;
}

// The start of an attribute value or url(...) argument without its opening quote.
std::string_view unquoted(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\n')) {
    value.remove_prefix(1);
  }
  if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
    value.remove_prefix(1);
  }
  return value;
}

// A reference that stays on this site: a (relative) path, or a {{placeholder}}, whose
// value latchkey itself builds and checks (logo_url, picture, the route URLs).
bool isLocalReference(std::string_view value) {
  if (value.starts_with("{{")) {
    return true;
  }
  if (value.starts_with("//") || value.starts_with("\\") || value.starts_with("/\\")) {
    return false;  // scheme-relative (browsers read '\' as '/'): another host
  }
  const size_t colon = value.find(':');
  const size_t end = value.find_first_of("/?#\"' )>");
  return colon == std::string_view::npos || (end != std::string_view::npos && end < colon);
}

// Where a page may load an image from under its CSP (img-src 'self' data:, plus the
// provider's picture, which only latchkey inserts).
bool allowedImageSource(std::string_view value) {
  return isLocalReference(value) || value.starts_with("data:");
}

// The value of attribute `name` in one tag's text (lower case), when the tag has it.
std::optional<std::string_view> attribute(std::string_view tag, std::string_view name) {
  for (size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
    const char before = at == 0 ? ' ' : tag[at - 1];
    size_t after = at + name.size();
    while (after < tag.size() && tag[after] == ' ') {
      ++after;
    }
    if ((before == ' ' || before == '\n' || before == '\t' || before == '/') &&
        after < tag.size() && tag[after] == '=') {
      return unquoted(tag.substr(after + 1));
    }
  }
  return std::nullopt;
}

// Event handler attributes (onclick=...) anywhere in a tag: the CSP runs no script.
bool hasEventHandler(std::string_view tag) {
  for (size_t at = tag.find("on"); at != std::string_view::npos; at = tag.find("on", at + 1)) {
    const char before = at == 0 ? '<' : tag[at - 1];
    if (before != ' ' && before != '\n' && before != '\t' && before != '/' && before != '"' &&
        before != '\'') {
      continue;  // part of another word ("content", "button")
    }
    size_t end = at + 2;
    while (end < tag.size() && tag[end] >= 'a' && tag[end] <= 'z') {
      ++end;
    }
    while (end < tag.size() && tag[end] == ' ') {
      ++end;
    }
    if (end > at + 2 && end < tag.size() && tag[end] == '=') {
      return true;
    }
  }
  return false;
}

// The tags of a lower-cased template that the CSP would silently break: images from other
// sites, event handlers, forms that post elsewhere (form-action 'self').
std::optional<std::string> tagProblem(std::string_view lower) {
  for (size_t open = lower.find('<'); open != std::string_view::npos;
       open = lower.find('<', open + 1)) {
    if (lower.substr(open, 4) == "<!--") {
      open = lower.find("-->", open);
      if (open == std::string_view::npos) {
        break;
      }
      continue;
    }
    const size_t close = lower.find('>', open);
    const std::string_view tag =
        lower.substr(open, close == std::string_view::npos ? close : close - open);
    if (tag.size() < 2 || tag[1] < 'a' || tag[1] > 'z') {
      continue;  // an end tag, a doctype, or a lone '<'
    }
    if (hasEventHandler(tag)) {
      return "has an event handler attribute (on...=); latchkey's pages run no script (the "
             "Content-Security-Policy blocks it), so remove it";
    }
    for (const std::string_view name : {"src", "srcset", "poster", "background"}) {
      if (const auto value = attribute(tag, name); value && !allowedImageSource(*value)) {
        return "loads " + std::string(name) + "=\"" +
               std::string(value->substr(0, value->find_first_of("\"' >"))) +
               "\" from another site; the Content-Security-Policy allows images only from this "
               "site or data: URLs (see logo_url)";
      }
    }
    for (const std::string_view name : {"action", "formaction"}) {
      if (const auto value = attribute(tag, name); value && !isLocalReference(*value)) {
        return "has a form that posts to another site; the Content-Security-Policy allows "
               "forms to post only to this site (form-action 'self')";
      }
    }
  }
  return std::nullopt;
}

// What a browser would refuse under the page's CSP, refused here at start-up instead, with
// the reason: the site owner sees it once in the start-up error instead of never.
std::optional<std::string> cspProblem(std::string_view text,
                                      const std::vector<StyleBlock>& blocks) {
  const std::string lower = toLowerAscii(text);
  if (lower.find("<script") != std::string::npos) {
    return "contains <script>; latchkey's pages run no script (the Content-Security-Policy "
           "blocks it), so remove it";
  }
  for (const char* attr : {" style=", "\nstyle=", "\tstyle="}) {
    if (lower.find(attr) != std::string::npos) {
      return "uses a style=\"...\" attribute, which the Content-Security-Policy blocks; put "
             "the rules in the page's <style> block instead";
    }
  }
  for (size_t at = lower.find("<link"); at != std::string::npos; at = lower.find("<link", at + 5)) {
    const std::string_view tag = std::string_view(lower).substr(at, lower.find('>', at) - at);
    if (tag.find("stylesheet") != std::string_view::npos) {
      return "links a stylesheet; the Content-Security-Policy allows no external stylesheet, "
             "so put the styles in a <style> block";
    }
  }
  for (const StyleBlock& b : blocks) {
    const std::string_view css = text.substr(b.start, b.end - b.start);
    if (css.find("{{") != std::string_view::npos) {
      return "has a {{placeholder}} inside <style>; the Content-Security-Policy allows the "
             "block by the hash of its exact text, so it must not change per request";
    }
    const std::string lower_css = toLowerAscii(css);
    if (lower_css.find("@import") != std::string::npos) {
      return "uses @import in <style>; the Content-Security-Policy loads no other stylesheet, "
             "so copy the rules into the block";
    }
    for (size_t at = lower_css.find("url("); at != std::string::npos;
         at = lower_css.find("url(", at + 4)) {
      if (!allowedImageSource(unquoted(std::string_view(lower_css).substr(at + 4)))) {
        return "loads an image from another site in <style> (url(...)); the "
               "Content-Security-Policy allows images only from this site or data: URLs";
      }
    }
  }
  return tagProblem(lower);
}

// CSP3 'sha256-...' sources for the page's inline <style> blocks: the template needs no
// 'unsafe-inline', and markup that somehow got in could not add styles of its own.
std::string styleSources(std::string_view text, const std::vector<StyleBlock>& blocks) {
  std::string sources;
  for (const StyleBlock& b : blocks) {
    const auto digest = sha256(text.substr(b.start, b.end - b.start));
    sources +=
        " 'sha256-" +
        base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()),  // NOLINT
                                      digest.size())) +
        "'";
  }
  return sources.empty() ? " 'none'" : sources;
}

}  // namespace latchkey::template_policy
