// The built-in pages. Site owners can replace any of them with a file of the same name in
// templates_dir (README "Pages and templates"). The stylesheet is inline so the pages need
// no other request; the CSP allows exactly this <style> block by its hash.
#include "builtin_templates.h"

namespace latchkey {
namespace {

constexpr std::string_view kHead = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<style>
:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--fg:#1d2330;--muted:#5b6474;--accent:#2456d6;--accent-fg:#fff;--border:#dfe3ea;--bad:#b42318}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--card:#1d2129;--fg:#e8ebf1;--muted:#a3acbb;--accent:#6d95ff;--accent-fg:#0d1117;--border:#2f3541;--bad:#ff8a80}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:1rem}
main{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:2rem;max-width:28rem;width:100%;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.35rem;margin:0 0 .75rem}
p{margin:.5rem 0;color:var(--muted)}
.who{display:flex;align-items:center;gap:1rem;margin:1rem 0}
.who img{width:56px;height:56px;border-radius:50%;object-fit:cover}
.who strong{display:block;color:var(--fg);word-break:break-all}
.button{display:inline-block;margin-top:1rem;padding:.7rem 1.2rem;border-radius:8px;border:0;background:var(--accent);color:var(--accent-fg);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
.button:focus-visible{outline:3px solid var(--fg);outline-offset:2px}
.status{font-size:.85rem;color:var(--bad);font-weight:600;letter-spacing:.02em}
.hint{border-left:3px solid var(--accent);padding-left:.75rem;color:var(--fg)}
footer{margin-top:1.5rem;font-size:.8rem;color:var(--muted)}
</style>
)HTML";

constexpr std::string_view kSignedOut = R"HTML(<title>Sign in</title>
</head>
<body>
<main>
<h1>Welcome</h1>
<p>This site asks you to sign in before you go on.</p>
<a class="button" href="{{login_url}}">Sign in with {{provider}}</a>
<footer>Protected by latchkey</footer>
</main>
</body>
</html>
)HTML";

constexpr std::string_view kSignedIn = R"HTML(<title>Signed in</title>
</head>
<body>
<main>
<h1>Logged in as {{email}}</h1>
<div class="who">
{{#picture}}<img src="{{picture}}" alt="">{{/picture}}
<div><strong>{{name}}</strong><span>{{email}}</span></div>
</div>
<form method="post" action="{{logout_url}}">
<button class="button" type="submit">Sign out</button>
</form>
<footer>Signed in with {{provider}} · protected by latchkey</footer>
</main>
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
<a class="button" href="{{home_url}}">Back to the start</a>
<footer>latchkey</footer>
</main>
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
