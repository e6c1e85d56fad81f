//! The lexer on arbitrary bytes, both modes: always advances, spans stay
//! inside the input, never panics.
#![no_main]
use dhcpstats::dhcp::lexer::{Kind, Lexer, Mode, unescape};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for mode in [Mode::Conf, Mode::Leases] {
        let mut lx = Lexer::new(data, mode);
        let mut last = 0;
        loop {
            let t = lx.next_token();
            assert!(t.start <= t.end && t.end <= data.len());
            if t.kind == Kind::Eof {
                break;
            }
            assert!(lx.offset() > last, "the lexer must advance");
            last = lx.offset();
            if t.kind == Kind::Str {
                let _ = unescape(t.text(data));
            }
        }
    }
});
