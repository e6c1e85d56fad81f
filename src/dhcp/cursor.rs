//! A token cursor with one token of lookahead, shared by both parsers.
//!
//! It owns what every statement-level parser needs besides the tokens
//! themselves: the file name and line map for diagnostics, and the two ways
//! of getting back in step after a problem ([`Cursor::skip_statement`] and
//! [`Cursor::skip_block_body`]), which respect strings and comments because
//! they work on tokens.

use std::sync::Arc;

use super::lexer::{Kind, Lexer, Mode, Token, eq_ci};
use crate::diag::{Diagnostic, LineMap, Severity};

pub struct Cursor<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    file: Arc<str>,
    lines: LineMap<'a>,
    /// End offset of the last consumed token.
    prev_end: usize,
    /// The input ran out: `Eof` was seen, or a string was cut by the end
    /// of the buffer. The lease reader uses this to tell "block continues
    /// in bytes not read yet" from "block is broken".
    saw_eof: bool,
}

impl<'a> Cursor<'a> {
    pub fn new(src: &'a [u8], mode: Mode, file: Arc<str>) -> Cursor<'a> {
        Cursor::at(src, 0, mode, file, 1, 1)
    }

    /// A cursor that starts reading at `pos`; the first byte of `src` is at
    /// (`base_line`, `base_col`) of the file.
    pub fn at(
        src: &'a [u8],
        pos: usize,
        mode: Mode,
        file: Arc<str>,
        base_line: u32,
        base_col: u32,
    ) -> Cursor<'a> {
        Cursor {
            lexer: Lexer::at(src, pos, mode),
            peeked: None,
            file,
            lines: LineMap::new(src, base_line, base_col),
            prev_end: pos,
            saw_eof: false,
        }
    }

    /// Moves to `pos` (a token boundary), dropping any lookahead.
    pub fn seek(&mut self, pos: usize) {
        let src = self.lexer.src();
        let mode = self.lexer.mode();
        self.lexer = Lexer::at(src, pos, mode);
        self.peeked = None;
        self.prev_end = pos;
        self.saw_eof = false;
    }

    /// True once the cursor has run into the end of its buffer.
    pub fn saw_eof(&self) -> bool {
        self.saw_eof
    }

    /// End offset of the last consumed token.
    pub fn prev_end(&self) -> usize {
        self.prev_end
    }

    fn lex(&mut self) -> Token {
        let t = self.lexer.next_token();
        // A word or string that touches the end of the buffer may be cut
        // (`act` of `active`): for a reader of a growing file that is the
        // same as running out of input.
        let at_end = t.end >= self.lexer.src().len();
        if t.kind == Kind::Eof || (at_end && (t.kind == Kind::Word || t.unterminated)) {
            self.saw_eof = true;
        }
        t
    }

    pub fn src(&self) -> &'a [u8] {
        self.lexer.src()
    }

    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    pub fn mode(&self) -> Mode {
        self.lexer.mode()
    }

    pub fn peek(&mut self) -> Token {
        match self.peeked {
            Some(t) => t,
            None => {
                let t = self.lex();
                self.peeked = Some(t);
                t
            }
        }
    }

    pub fn bump(&mut self) -> Token {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lex(),
        };
        if t.kind != Kind::Eof {
            self.prev_end = if t.kind == Kind::Str && !t.unterminated {
                t.end + 1
            } else {
                t.end
            };
        }
        t
    }

    pub fn text(&self, t: Token) -> &'a [u8] {
        t.text(self.lexer.src())
    }

    /// True if the next token is the word `keyword` (any case); consumes it.
    pub fn eat_word(&mut self, keyword: &str) -> bool {
        let t = self.peek();
        if t.kind == Kind::Word && eq_ci(self.text(t), keyword) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// True if the next token is the punctuation `c`; consumes it.
    pub fn eat_punct(&mut self, c: u8) -> bool {
        if self.peek().is_punct(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// True if the next token is the word `keyword` (any case); does not
    /// consume it.
    pub fn peek_is_word(&mut self, keyword: &str) -> bool {
        let t = self.peek();
        self.is_word(t, keyword)
    }

    pub fn is_word(&self, t: Token, keyword: &str) -> bool {
        t.kind == Kind::Word && eq_ci(self.text(t), keyword)
    }

    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        self.lines.line_col(offset)
    }

    pub fn diag(&self, offset: usize, severity: Severity, message: String) -> Diagnostic {
        let (line, col) = self.lines.line_col(offset);
        Diagnostic {
            file: self.file.clone(),
            line,
            col,
            severity,
            message,
        }
    }

    /// Describes a token for messages: `'range'`, `end of file`, `byte 0xff`.
    pub fn describe(&self, t: Token) -> String {
        match t.kind {
            Kind::Eof => "end of file".to_string(),
            Kind::Bad(b) => format!("byte 0x{b:02x}"),
            Kind::Str => "a quoted string".to_string(),
            Kind::Punct(c) => format!("'{}'", c as char),
            Kind::Word => {
                let text = self.text(t);
                let shown = String::from_utf8_lossy(text.get(..40).unwrap_or(text));
                if text.len() > 40 {
                    format!("'{shown}…'")
                } else {
                    format!("'{shown}'")
                }
            }
        }
    }

    /// Skips the rest of a statement: up to and including the `;` at this
    /// depth, or through a `{ … }` block (`if … { } else { }` is skipped
    /// piecewise by callers). Stops before a `}` that closes the enclosing
    /// block, and at end of input. Never recurses, so nesting depth cannot
    /// overflow the stack. Returns the offset of a `{` left open by the end
    /// of input, if that is how it stopped.
    pub fn skip_statement(&mut self) -> Option<usize> {
        loop {
            let t = self.peek();
            match t.kind {
                Kind::Eof => return None,
                Kind::Punct(b'}') => return None,
                Kind::Punct(b';') => {
                    self.bump();
                    return None;
                }
                Kind::Punct(b'{') => {
                    self.bump();
                    return if self.skip_block_body() {
                        None
                    } else {
                        Some(t.pos())
                    };
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Skips to just past the `}` matching an already consumed `{`.
    /// Returns false if the input ended first.
    pub fn skip_block_body(&mut self) -> bool {
        let mut depth: usize = 1;
        loop {
            let t = self.bump();
            match t.kind {
                Kind::Eof => return false,
                Kind::Punct(b'{') => depth += 1,
                Kind::Punct(b'}') => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
    }
}
