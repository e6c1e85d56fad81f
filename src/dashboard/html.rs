//! The HTML side of the dashboard: a string builder that escapes every
//! value it is given, the one stylesheet, and the
//! `Content-Security-Policy` that allows exactly that stylesheet.
//!
//! Nothing from dhcpd's files reaches the page except through
//! [`Page::text`] (or [`Page::attr`]): raw markup is written only from
//! literals in this module's callers.

use std::sync::OnceLock;

/// The digit-group separator of counts: a narrow no-break space.
pub const GROUP: char = '\u{202f}';

/// An HTML document being written.
pub struct Page {
    out: String,
}

impl Page {
    /// The start of a document: head with the stylesheet, open body.
    pub fn new(title: &str) -> Page {
        let mut p = Page {
            out: String::with_capacity(16 * 1024),
        };
        p.raw("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        p.raw("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
        p.raw("<meta name=\"referrer\" content=\"no-referrer\"><title>");
        p.text(title);
        p.raw("</title><style>");
        p.raw(stylesheet());
        p.raw("</style></head><body>\n");
        p
    }

    /// Markup written by this program (never input-derived).
    pub fn raw(&mut self, markup: &str) -> &mut Page {
        self.out.push_str(markup);
        self
    }

    /// Text from anywhere, escaped for element content.
    pub fn text(&mut self, text: &str) -> &mut Page {
        escape_into(&mut self.out, text);
        self
    }

    /// Text from anywhere, escaped for a double-quoted attribute value.
    pub fn attr(&mut self, text: &str) -> &mut Page {
        escape_into(&mut self.out, text);
        self
    }

    /// A number, as plain digits.
    pub fn num(&mut self, n: impl std::fmt::Display) -> &mut Page {
        use std::fmt::Write;
        let _ = write!(self.out, "{n}");
        self
    }

    /// `<a href="HREF">TEXT</a>`, both escaped.
    pub fn link(&mut self, href: &str, text: &str) -> &mut Page {
        self.raw("<a href=\"")
            .attr(href)
            .raw("\">")
            .text(text)
            .raw("</a>")
    }

    /// `<td>TEXT</td>`.
    pub fn cell(&mut self, text: &str) -> &mut Page {
        self.raw("<td>").text(text).raw("</td>")
    }

    /// A right-aligned number cell.
    pub fn num_cell(&mut self, n: impl std::fmt::Display) -> &mut Page {
        self.raw("<td class=\"n\">").num(n).raw("</td>")
    }

    /// A count, its digits grouped by three from 10 000 on (a /64's
    /// 18 446 744 073 709 551 616 must be readable at a glance).
    pub fn count(&mut self, n: u128) -> &mut Page {
        let digits = n.to_string();
        if digits.len() <= 4 {
            self.out.push_str(&digits);
            return self;
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                self.out.push(GROUP);
            }
            self.out.push(c);
        }
        self
    }

    /// A right-aligned count cell ([`Page::count`]).
    pub fn count_cell(&mut self, n: u128) -> &mut Page {
        self.raw("<td class=\"n\">").count(n).raw("</td>")
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.raw("</body></html>\n");
        self.out.into_bytes()
    }
}

/// Escapes the five characters that can end a text or an attribute
/// value or start markup; everything else (any Unicode) is kept.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The stylesheet. Bar widths are classes (`w0` … `w100`), not `style`
/// attributes, so that the policy need not allow inline styles.
pub fn stylesheet() -> &'static str {
    static CSS: OnceLock<String> = OnceLock::new();
    CSS.get_or_init(|| {
        let mut css = String::from(BASE_CSS);
        for w in 0..=100 {
            css.push_str(&format!(".w{w}{{width:{w}%}}"));
        }
        css
    })
}

/// The `Content-Security-Policy` of every page: nothing may load or run
/// but the one stylesheet (by its hash); forms submit only to us; no
/// framing.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = crate::codec::base64_encode(&crate::codec::sha256(stylesheet().as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'"
        )
    })
}

const BASE_CSS: &str = "\
:root{--ok:#2e7d32;--warning:#e0a000;--critical:#c62828;--muted:#666;--line:#ddd;--bg:#fff;--fg:#111;--soft:#f4f5f7}\
@media (prefers-color-scheme:dark){:root{--muted:#aaa;--line:#444;--bg:#16181c;--fg:#eee;--soft:#22252b}}\
*{box-sizing:border-box}\
body{margin:0;padding:.8rem;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:var(--bg);color:var(--fg)}\
@media (min-width:1600px){body{font-size:19px;padding:1.5rem 2.5rem}}\
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}\
a{color:inherit}\
.meta{color:var(--muted);margin:.2em 0}\
.banner{padding:.5em .8em;border-radius:4px;color:#fff;margin:.5em 0}\
.banner.critical{background:var(--critical)}.banner.warning{background:var(--warning);color:#111}\
form.search{display:flex;gap:.4em;margin:.8em 0;max-width:40em}\
form.search input{flex:1;font:inherit;padding:.35em .5em;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}\
form.search button{font:inherit;padding:.35em .9em}\
nav{margin:.5em 0}nav a{margin-right:.8em}nav a.on{font-weight:bold;text-decoration:none}\
.counts span{display:inline-block;margin-right:1em}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;margin:.3em 0 1em}\
th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:top}\
th{background:var(--soft);font-weight:600}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:20em;max-width:60em}\
.bar{display:flex;width:12em;height:1em;background:var(--soft);border:1px solid var(--line);border-radius:3px;overflow:hidden}\
.bar i{display:block;height:100%}\
.bar i.used.ok{background:var(--ok)}.bar i.used.warning{background:var(--warning)}.bar i.used.critical{background:var(--critical)}\
.bar i.abandoned{background:#6d4c41}.bar i.expired{background:#90a4ae}.bar i.other{background:#cfd8dc}\
.state{font-weight:600}.zero{color:var(--muted);font-weight:normal}.state.ok{color:var(--ok)}.state.warning{color:var(--warning)}.state.critical{color:var(--critical)}\
.legend i{display:inline-block;width:.9em;height:.9em;vertical-align:middle;margin:0 .3em 0 .8em;border-radius:2px}\
.legend i.used{background:var(--ok)}.legend i.abandoned{background:#6d4c41}.legend i.expired{background:#90a4ae}.legend i.other{background:#cfd8dc}\
@media (max-width:600px){.bar{width:6em}th,td{padding:.2em .3em}}\
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_three() {
        let mut p = Page::new("t");
        for n in [0u128, 9999, 10_000, 123_456_789, 18_446_744_073_709_551_616] {
            p.count(n).raw("|");
        }
        let html = String::from_utf8(p.finish()).unwrap().replace(GROUP, " ");
        assert!(html.contains("0|9999|10 000|123 456 789|18 446 744 073 709 551 616|"));
    }

    #[test]
    fn markup_in_text_comes_out_inert() {
        let mut p = Page::new("<title>");
        p.text("<script>alert('x')</script> & \"q\"");
        let html = String::from_utf8(p.finish()).unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        );
        assert!(html.contains("<title>&lt;title&gt;</title>"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn the_policy_allows_exactly_the_stylesheet() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        let hash = crate::codec::base64_encode(&crate::codec::sha256(stylesheet().as_bytes()));
        assert!(csp.contains(&hash));
        // The page holds the stylesheet byte for byte (the hash covers
        // exactly the text between <style> and </style>).
        let html = String::from_utf8(Page::new("t").finish()).unwrap();
        assert!(html.contains(&format!("<style>{}</style>", stylesheet())));
        assert!(
            !stylesheet().contains("</"),
            "the stylesheet cannot end its element"
        );
    }
}
