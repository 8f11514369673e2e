// The built-in pages. Site owners can replace any of them with a file of the same name in
// templates_dir (docs/pages.md). The stylesheet is inline so a page needs no other request;
// the CSP allows exactly this <style> block by its hash, and the pages run no script.
//
// Accessibility (WCAG 2.2 AA): lang and a <title> on every page, one <h1>, landmarks (<main>,
// <footer>), real <a>/<button> controls with a visible focus ring, text contrast of at least
// 4.5:1 in both colour schemes (6.5:1 or more as built), tap targets of at least 44px, and a layout
// that fits a 320px-wide phone without zoom or sideways scrolling.
#include "pages/builtin_templates.h"

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
body{margin:0;min-height:100vh;overflow-wrap:anywhere;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:1rem;padding:1rem;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
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
footer{font-size:.8125rem;color:var(--muted);text-align:center;max-width:30rem}
footer p{margin:.25rem 0}
.site{width:100%;max-width:30rem;font-weight:600;text-align:center}
.site p{margin:0}
.logo{display:block;max-width:100%;height:auto;max-height:4rem;margin:0 0 1rem}
.said{margin:.75rem 0;border-left:4px solid var(--border);padding:.25rem 0 .25rem 1rem;color:var(--muted)}
.said strong{display:block;color:var(--fg);font-size:.875rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem}
@media (max-width:30rem){body{justify-content:flex-start;padding:.75rem}main{padding:1.25rem}.actions .button{width:100%}}
@media (forced-colors:active){.button{border:2px solid ButtonText}}
</style>
)HTML";

// The banner above the card and the footer below it, the same on every page.
constexpr std::string_view kBodyStart = R"HTML(</head>
<body>
{{#banner_text}}<header class="site"><p>{{banner_text}}</p></header>{{/banner_text}}
<main>
{{#logo_url}}<img class="logo" src="{{logo_url}}" alt="{{site_name}}">{{/logo_url}}
)HTML";

constexpr std::string_view kBodyEnd = R"HTML(</main>
<footer>{{#footer_text}}<p>{{footer_text}}</p>{{/footer_text}}<p>Protected by latchkey</p></footer>
</body>
</html>
)HTML";

constexpr std::string_view kSignedOutTitle =
    "<title>{{heading}}{{#site_name}} \u00b7 {{site_name}}{{/site_name}}</title>\n";
constexpr std::string_view kSignedOut = R"HTML(<h1>{{heading}}</h1>
<p class="lead">{{lead}}</p>
<p class="actions">{{#providers}}<a class="button" href="{{login_url}}">Sign in with {{provider}}</a>
{{/providers}}</p>
<p class="small">You sign in on {{provider}}&#8217;s own page. This site never sees your password.</p>
)HTML";

constexpr std::string_view kSignedInTitle =
    "<title>Signed in{{#site_name}} \u00b7 {{site_name}}{{/site_name}}</title>\n";
constexpr std::string_view kSignedIn = R"HTML(<h1>Logged in as {{email}}</h1>
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
)HTML";

constexpr std::string_view kErrorTitle =
    "<title>{{title}}{{#site_name}} \u00b7 {{site_name}}{{/site_name}}</title>\n";
constexpr std::string_view kError =
    R"HTML({{#status_label}}<p class="status">{{status_label}}</p>{{/status_label}}
<h1>{{title}}</h1>
<p>{{message}}</p>
{{#provider_says}}<blockquote class="said"><strong>{{provider}} said:</strong> {{provider_says}}</blockquote>{{/provider_says}}
{{#hint}}<p class="hint">{{hint}}</p>{{/hint}}
{{#owner_hint}}<p class="owner"><strong>For the site owner:</strong> {{owner_hint}}</p>{{/owner_hint}}
<p class="actions">{{#continue_url}}<a class="button" href="{{continue_url}}">Continue</a>{{/continue_url}}
{{#retry_url}}<a class="button" href="{{retry_url}}">Sign in again</a>{{/retry_url}}
{{#switch_url}}<a class="button" href="{{switch_url}}">Use another account</a>{{/switch_url}}
{{#start_url}}<a href="{{start_url}}">Back to the start page</a>{{/start_url}}</p>
{{#switch_url}}<p class="small">If {{provider}} signs you straight back in as the same account, sign out at {{provider}} first, then choose Use another account.</p>{{/switch_url}}
{{#request_id}}<p class="small">Request id <code>{{request_id}}</code>: quote it to the site owner, who can find this request in latchkey&#8217;s log.</p>{{/request_id}}
)HTML";

}  // namespace

std::string builtinTemplate(std::string_view name) {
  std::string text(kHead);
  if (name == "signed_out.html") {
    text += kSignedOutTitle;
    text += kBodyStart;
    text += kSignedOut;
  } else if (name == "signed_in.html") {
    text += kSignedInTitle;
    text += kBodyStart;
    text += kSignedIn;
  } else {
    text += kErrorTitle;
    text += kBodyStart;
    text += kError;
  }
  text += kBodyEnd;
  return text;
}

}  // namespace latchkey
