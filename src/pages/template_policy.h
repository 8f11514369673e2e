// What a page template may contain, checked once at start-up: the Content-Security-Policy
// of every page allows only the template's own inline <style> blocks (by hash), images from
// this site, data: URLs and the provider's picture, and no script at all.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/util/result.h"

namespace latchkey::template_policy {

// One <style> element's content: [start, end) of the template text.
struct StyleBlock {
  size_t start;  // first byte of the content
  size_t end;    // the '<' of </style>
};

// The HTML parser turns CRLF and lone CR into LF before a <style> block is hashed for the CSP,
// so a template is normalised the same way first (a file saved on Windows must still match).
std::string normaliseNewlines(std::string_view text);

// The <style ...> elements of a template, or kTemplateInvalid for one that is never closed.
Result<std::vector<StyleBlock>> styleBlocks(std::string_view text);

// What a browser would refuse under the page's CSP (script, event handlers, foreign images
// or styles), or nullopt when the template is fine.
std::optional<std::string> cspProblem(std::string_view text, const std::vector<StyleBlock>& blocks);

// CSP3 'sha256-...' sources for the template's inline <style> blocks.
std::string styleSources(std::string_view text, const std::vector<StyleBlock>& blocks);

}  // namespace latchkey::template_policy
