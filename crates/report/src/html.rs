//! Minimal, dependency-free HTML helpers for self-contained documents.

/// Escape text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            // Controls and invisible formatting characters from outside text are shown
            // escaped (`\x1b`), so the page is also safe to `cat` on a terminal.
            c if c.is_control() || ('\u{61c}'..='\u{feff}').contains(&c) => {
                out.push_str(&otproof_text::quote(c.encode_utf8(&mut [0; 4])));
            }
            c => out.push(c),
        }
    }
    out
}

/// Escape text for a Markdown table cell (one line; controls shown escaped).
pub(crate) fn md_cell(s: &str) -> String {
    otproof_text::quote_max(
        &s.replace('|', "\\|").replace('\n', " "),
        otproof_text::LINE_MAX,
    )
}

/// The stylesheet of every otproof HTML document: readable on screen, clean on paper.
pub(crate) const CSS: &str = r#"
:root { --ink:#1b1f24; --muted:#57606a; --line:#d0d7de; --accent:#0b5394; --warn:#9a6700; }
* { box-sizing: border-box; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; border-bottom: 3px solid var(--accent); padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: 9.5pt; }
th, td { border: 1px solid var(--line); padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
code, .id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; white-space: nowrap; }
.meta td:first-child { width: 14rem; color: var(--muted); }
.unconfirmed { color: var(--warn); font-weight: 600; }
.muted { color: var(--muted); }
.sl { text-align: center; width: 3.5rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: 9pt; border-top: 1px solid var(--line); padding-top: .5rem; }
@page { size: A4; margin: 18mm 15mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  h2.part { break-before: page; }
  tr, li { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Wrap a body in a complete, self-contained HTML page.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"otproof {}\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n{}\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title),
        CSS,
        body
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_shows_controls_escaped() {
        assert_eq!(
            esc("a<b>\u{1b}[31m\u{9b}\u{202e}\nz"),
            "a&lt;b&gt;\\x1b[31m\\x9b\\u{202e}\nz"
        );
        assert_eq!(md_cell("a|b\n\u{1b}c"), "a\\|b \\x1bc");
        assert_eq!(esc("Prüfstand 日本"), "Prüfstand 日本");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
    }
}
