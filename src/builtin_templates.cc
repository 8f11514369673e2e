// The built-in pages. Site owners can replace any of them with a file of the same name in
// templates_dir (docs/pages.md). The stylesheet is inline so a page needs no other request;
// the CSP allows exactly this <style> block by its hash, and the pages run no script.
//
// Accessibility (WCAG 2.2 AA): lang and a <title> on every page, one <h1>, landmarks (<main>,
// <footer>), real <a>/<button> controls with a visible focus ring, text contrast of at least
// 4.5:1 in both colour schemes (6.5:1 or more as built), tap targets of at least 44px, and a layout
// that fits a 320px-wide phone without zoom or sideways scrolling.
#include "builtin_templates.h"

namespace latchkey {
namespace {

constexpr std::string_view kHead = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<style>
:root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--fg:#111827;--muted:#4b5563;--accent:#1d4ed8;--accent-fg:#fff;--border:#d1d5db;--bad:#b91c1c;--note:#eef2ff}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#1a1d23;--fg:#f3f4f6;--muted:#b6bcc8;--accent:#8ab4ff;--accent-fg:#0b1020;--border:#3a404c;--bad:#ff9b93;--note:#222938}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:1rem;padding:1rem;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{width:100%;max-width:30rem;background:var(--card);border:1px solid var(--border);border-radius:12px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem;overflow-wrap:anywhere}
p{margin:.75rem 0}
.lead{color:var(--muted)}
.small{font-size:.875rem;color:var(--muted)}
a{color:var(--accent);text-underline-offset:.15em}
a:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:3px;border-radius:4px}
.actions{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem 1.25rem;margin-top:1.5rem}
.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;padding:.625rem 1.25rem;border-radius:8px;border:2px solid var(--accent);background:var(--accent);color:var(--accent-fg);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
.button:hover{filter:brightness(1.1)}
.button.secondary{background:transparent;color:var(--accent)}
.who{display:flex;align-items:center;gap:1rem;margin:1.25rem 0}
.who img{width:56px;height:56px;border-radius:50%;object-fit:cover;flex:none}
dl{margin:0;min-width:0}
dt{font-size:.8125rem;color:var(--muted)}
dd{margin:0 0 .25rem;font-weight:600;overflow-wrap:anywhere}
.status{margin:0 0 .25rem;font-size:.875rem;font-weight:700;letter-spacing:.03em;color:var(--bad)}
.hint{background:var(--note);border-left:4px solid var(--accent);border-radius:4px;padding:.75rem 1rem}
.owner{font-size:.875rem;color:var(--muted);overflow-wrap:anywhere}
footer{font-size:.8125rem;color:var(--muted)}
@media (max-width:30rem){body{justify-content:flex-start;padding:.75rem}main{padding:1.25rem}.actions .button{width:100%}}
@media (forced-colors:active){.button{border:2px solid ButtonText}}
</style>
)HTML";

constexpr std::string_view kSignedOut = R"HTML(<title>Sign in</title>
</head>
<body>
<main>
<h1>Welcome</h1>
<p class="lead">Sign in to continue to this site.</p>
<p class="actions"><a class="button" href="{{login_url}}">Sign in with {{provider}}</a></p>
<p class="small">You sign in on {{provider}}&#8217;s own page. This site never sees your password.</p>
</main>
<footer>Protected by latchkey</footer>
</body>
</html>
)HTML";

constexpr std::string_view kSignedIn = R"HTML(<title>Signed in</title>
</head>
<body>
<main>
<h1>Logged in as {{email}}</h1>
<div class="who">
{{#picture}}<img src="{{picture}}" alt="" width="56" height="56">{{/picture}}
<dl>
{{#name}}<dt>Name</dt><dd>{{name}}</dd>{{/name}}
<dt>E-mail</dt><dd>{{email}}</dd>
<dt>Signed in with</dt><dd>{{provider}}</dd>
</dl>
</div>
<form class="actions" method="post" action="{{logout_url}}">
<button class="button secondary" type="submit">Sign out</button>
</form>
</main>
<footer>Protected by latchkey</footer>
</body>
</html>
)HTML";

constexpr std::string_view kError = R"HTML(<title>{{title}}</title>
</head>
<body>
<main>
<p class="status">Error {{status}}</p>
<h1>{{title}}</h1>
<p>{{message}}</p>
{{#hint}}<p class="hint">{{hint}}</p>{{/hint}}
{{#owner_hint}}<p class="owner"><strong>For the site owner:</strong> {{owner_hint}}</p>{{/owner_hint}}
<p class="actions">{{#retry_url}}<a class="button" href="{{retry_url}}">Sign in again</a>{{/retry_url}}
<a href="{{home_url}}">Back to the start page</a></p>
</main>
<footer>Protected by latchkey</footer>
</body>
</html>
)HTML";

}  // namespace

std::string builtinTemplate(std::string_view name) {
  std::string text(kHead);
  if (name == "signed_out.html") {
    text += kSignedOut;
  } else if (name == "signed_in.html") {
    text += kSignedIn;
  } else {
    text += kError;
  }
  return text;
}

}  // namespace latchkey
