//! The tokenizer shared by `dhcpd.conf` and `dhcpd.leases` (GRAMMAR §1).
//!
//! Both files are a token stream, not lines: whitespace (including CR, so
//! CRLF files work) only separates tokens, `#` starts a comment wherever a
//! token could start, and only `;`, `{` and `}` give the file its shape.
//!
//! A [`Token`] is a kind plus a byte span into the input; nothing is copied
//! or allocated, and line/column are computed only when a diagnostic needs
//! them (see [`crate::diag::LineMap`]). For a string the span is the raw text
//! between the quotes, escapes untouched; [`unescape`] decodes it.
//!
//! What the lexer deliberately does not do: classify keywords (that depends
//! on context: `add`, `free` or `server` are also data), assemble addresses
//! (see `values`), or report errors. Odd input becomes odd tokens
//! ([`Kind::Bad`], unterminated or oversized strings) that the parsers turn
//! into diagnostics, so lexing can never fail or loop.

/// Where the lexer is reading: the two files differ in one rule only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `dhcpd.conf`: a string may contain raw newlines.
    Conf,
    /// `dhcpd.leases`: dhcpd always escapes newlines in strings, so a string
    /// that reaches the end of its line is corruption; it ends there, which
    /// keeps one bad string from swallowing the rest of the file.
    Leases,
}

/// The kind of a token; its text is `&src[start..end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A run of ASCII letters, digits, `-` and `_` (names, numbers, hex).
    Word,
    /// A quoted string; the span excludes the quotes.
    Str,
    /// One ASCII punctuation character: `; { } , . : / = ( )` and the like.
    Punct(u8),
    /// A byte that cannot start a token: non-ASCII or a control character.
    Bad(u8),
    /// End of input.
    Eof,
}

/// Tokens longer than this (64 KiB) are flagged: no real name, option
/// value or lease field comes near it, and it bounds what a value can cost.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// Byte offset of the first byte of the token's text.
    pub start: usize,
    /// Byte offset just past the token's text.
    pub end: usize,
    /// Whitespace or a comment came right before this token.
    pub space_before: bool,
    /// A string whose closing quote is missing (at end of input, or at end
    /// of line in [`Mode::Leases`]).
    pub unterminated: bool,
}

impl Token {
    pub fn text<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        src.get(self.start..self.end).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    pub fn too_long(&self) -> bool {
        self.len() > MAX_TOKEN_LEN
    }

    pub fn is_punct(&self, c: u8) -> bool {
        self.kind == Kind::Punct(c)
    }

    /// Offset where the token begins in the source, including the opening
    /// quote of a string (used for diagnostics).
    pub fn pos(&self) -> usize {
        if self.kind == Kind::Str {
            self.start.saturating_sub(1)
        } else {
            self.start
        }
    }
}

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    mode: Mode,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], mode: Mode) -> Lexer<'a> {
        Lexer { src, pos: 0, mode }
    }

    /// Starts lexing at `pos` (a token boundary chosen by the caller).
    pub fn at(src: &'a [u8], pos: usize, mode: Mode) -> Lexer<'a> {
        Lexer {
            src,
            pos: pos.min(src.len()),
            mode,
        }
    }

    pub fn src(&self) -> &'a [u8] {
        self.src
    }

    /// Offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.pos
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Skips whitespace and comments; true if anything was skipped.
    fn skip_trivia(&mut self) -> bool {
        let start = self.pos;
        while let Some(&b) = self.src.get(self.pos) {
            if is_space(b) {
                self.pos += 1;
            } else if b == b'#' {
                self.pos = match memchr_nl(self.src, self.pos) {
                    Some(nl) => nl,
                    None => self.src.len(),
                };
            } else {
                break;
            }
        }
        self.pos != start
    }

    pub fn next_token(&mut self) -> Token {
        let space_before = self.skip_trivia();
        let start = self.pos;
        let Some(&b) = self.src.get(start) else {
            return Token {
                kind: Kind::Eof,
                start,
                end: start,
                space_before,
                unterminated: false,
            };
        };
        if is_word_byte(b) {
            let mut end = start + 1;
            while self.src.get(end).is_some_and(|&c| is_word_byte(c)) {
                end += 1;
            }
            self.pos = end;
            return Token {
                kind: Kind::Word,
                start,
                end,
                space_before,
                unterminated: false,
            };
        }
        if b == b'"' {
            return self.string(start, space_before);
        }
        self.pos = start + 1;
        let kind = if b.is_ascii_graphic() {
            Kind::Punct(b)
        } else {
            Kind::Bad(b)
        };
        Token {
            kind,
            start,
            end: start + 1,
            space_before,
            unterminated: false,
        }
    }

    /// Lexes a string whose opening quote is at `quote`.
    fn string(&mut self, quote: usize, space_before: bool) -> Token {
        let start = quote + 1;
        let mut i = start;
        loop {
            match self.src.get(i) {
                None => {
                    self.pos = i;
                    return Token {
                        kind: Kind::Str,
                        start,
                        end: i,
                        space_before,
                        unterminated: true,
                    };
                }
                Some(b'"') => {
                    self.pos = i + 1;
                    return Token {
                        kind: Kind::Str,
                        start,
                        end: i,
                        space_before,
                        unterminated: false,
                    };
                }
                Some(b'\\') => {
                    // An escaped newline in a lease file is still corruption.
                    if self.mode == Mode::Leases && self.src.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    } else {
                        i = (i + 2).min(self.src.len());
                    }
                }
                Some(b'\n') if self.mode == Mode::Leases => {
                    self.pos = i;
                    return Token {
                        kind: Kind::Str,
                        start,
                        end: i,
                        space_before,
                        unterminated: true,
                    };
                }
                Some(_) => i += 1,
            }
        }
    }
}

fn memchr_nl(src: &[u8], from: usize) -> Option<usize> {
    src.get(from..)?
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| i + from)
}

/// Decodes the escapes of a string's raw text (GRAMMAR §1.4): `\t \r \n \b`,
/// `\ooo` (up to three octal digits, first 0-3), `\xHH`, and `\c` = `c`.
pub fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let Some(&e) = raw.get(i) else {
            // A lone backslash at the very end: keep it.
            out.push(b'\\');
            break;
        };
        i += 1;
        match e {
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b'b' => out.push(0x08),
            b'0'..=b'3' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match raw.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 {
                    match raw.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.push(b'x');
                } else {
                    out.push(v as u8);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The text of a word compared case-insensitively with an ASCII keyword.
pub fn eq_ci(text: &[u8], keyword: &str) -> bool {
    text.eq_ignore_ascii_case(keyword.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str, mode: Mode) -> Vec<(Kind, String)> {
        let mut lx = Lexer::new(src.as_bytes(), mode);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token();
            if t.kind == Kind::Eof {
                break;
            }
            out.push((
                t.kind,
                String::from_utf8_lossy(t.text(src.as_bytes())).into_owned(),
            ));
        }
        out
    }

    fn texts(src: &str) -> Vec<String> {
        lex(src, Mode::Conf).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn words_punct_and_comments() {
        assert_eq!(
            texts("range 10.3.0.50#comment glued\n 10.3.0.59;#c"),
            [
                "range", "10", ".", "3", ".", "0", ".", "50", "10", ".", "3", ".", "0", ".", "59",
                ";"
            ]
        );
        assert_eq!(
            texts("42-vlan 3com-switch -3600 0x1f"),
            ["42-vlan", "3com-switch", "-3600", "0x1f"]
        );
        assert_eq!(texts("a\r\nb\tc\x0bd\x0ce"), ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn strings_keep_raw_text_and_hide_structure() {
        let toks = lex(r#"x "semi;colon {brace} \"q\" # no" y"#, Mode::Conf);
        assert_eq!(
            toks[1],
            (Kind::Str, r#"semi;colon {brace} \"q\" # no"#.into())
        );
        assert_eq!(toks[2], (Kind::Word, "y".into()));
    }

    #[test]
    fn newline_in_string_depends_on_mode() {
        let src = "\"first\nsecond\" z";
        assert_eq!(lex(src, Mode::Conf)[0], (Kind::Str, "first\nsecond".into()));
        let mut lx = Lexer::new(src.as_bytes(), Mode::Leases);
        let t = lx.next_token();
        assert!(t.unterminated);
        assert_eq!(t.text(src.as_bytes()), b"first");
    }

    #[test]
    fn unterminated_at_eof_and_bad_bytes() {
        let mut lx = Lexer::new(b"\"abc", Mode::Conf);
        let t = lx.next_token();
        assert!(t.unterminated && t.kind == Kind::Str);
        assert_eq!(lx.next_token().kind, Kind::Eof);
        let toks = lex("caf\u{e9} \x00", Mode::Conf);
        assert_eq!(toks[0].0, Kind::Word);
        assert_eq!(toks[1].0, Kind::Bad(0xc3));
        assert_eq!(toks[2].0, Kind::Bad(0xa9));
        assert_eq!(toks[3].0, Kind::Bad(0));
    }

    #[test]
    fn space_before_is_tracked() {
        let mut lx = Lexer::new(b"a:b :c", Mode::Conf);
        let flags: Vec<bool> = (0..5).map(|_| lx.next_token().space_before).collect();
        assert_eq!(flags, [false, false, false, true, false]);
    }

    #[test]
    fn unescape_all_forms() {
        assert_eq!(unescape(br#"ex\"ample"#), b"ex\"ample");
        assert_eq!(unescape(br"C:\\tftp"), b"C:\\tftp");
        assert_eq!(unescape(br"octal\101\102 hex\x43"), b"octalAB hexC");
        assert_eq!(unescape(br"\0140"), b"\x0c0");
        assert_eq!(unescape(br"\000\0012"), b"\x00\x012");
        assert_eq!(unescape(br"\t\r\n\b\q"), b"\t\r\n\x08q");
        assert_eq!(unescape(br"end\"), b"end\\");
        assert_eq!(unescape(br"\xZ"), b"xZ");
    }

    #[test]
    fn every_prefix_lexes_without_panic() {
        let src = b"lease 10.0.0.1 { uid \"\\001x\"; # c\n set a = %1; }\xff\x00";
        for n in 0..=src.len() {
            for mode in [Mode::Conf, Mode::Leases] {
                let mut lx = Lexer::new(&src[..n], mode);
                let mut guard = 0;
                while lx.next_token().kind != Kind::Eof {
                    guard += 1;
                    assert!(guard <= n + 1, "lexer must always advance");
                }
            }
        }
    }
}
