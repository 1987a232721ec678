//! # otproof-text
//!
//! Text that came from outside (a tar entry name, an SBOM component name, a device's reported
//! identity, a questionnaire answer) is written by an adversary. Before it reaches a terminal
//! or a one-line message it goes through this crate.
//!
//! Invariants:
//! - [`quote`] output has no control character at all (C0, DEL, C1), no Unicode bidirectional
//!   override or isolate, and at most [`NAME_MAX`] characters of the input, so a name can
//!   never fake a line, move the cursor, recolour the screen or flood the log.
//! - [`terminal`] keeps the line structure of text otproof wrote (newline and tab) and escapes
//!   every other control character; no line of its output holds more than [`LINE_MAX`]
//!   characters of the input.
//! - Both are total functions: any `&str` in, valid UTF-8 out, never a panic. Escapes are
//!   visible (`\x1b`, `\u{202e}`), so what was hidden is shown, not dropped.

use std::fmt::Write as _;

/// Most characters of one name kept by [`quote`].
pub const NAME_MAX: usize = 200;
/// Most characters of one line kept by [`terminal`].
pub const LINE_MAX: usize = 4000;

/// Characters that reorder or hide text on display (bidi embeddings, overrides, isolates,
/// marks) and zero-width characters; shown escaped.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}'
    )
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// A name from outside, made safe for one line: every control and invisible formatting
/// character escaped (newlines too), cut to [`NAME_MAX`] characters with an ellipsis and the
/// number of bytes left out.
pub fn quote(s: &str) -> String {
    quote_max(s, NAME_MAX)
}

/// [`quote`] with a chosen length.
pub fn quote_max(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 2) + 16);
    for (taken, (i, c)) in s.char_indices().enumerate() {
        if taken == max_chars {
            let _ = write!(out, "… ({} more bytes)", s.len() - i);
            return out;
        }
        if needs_escape(c) {
            escape_char(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Text for a terminal: newlines and tabs kept, every other control or invisible formatting
/// character escaped, each line cut to [`LINE_MAX`] characters with an ellipsis.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(1 << 20));
    for (n, line) in s.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        for (taken, (i, c)) in line.char_indices().enumerate() {
            if taken == LINE_MAX {
                let _ = write!(out, "… ({} more bytes)", line.len() - i);
                break;
            }
            if c == '\t' {
                out.push(c);
            } else if needs_escape(c) {
                escape_char(&mut out, c);
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// Is this text already safe for a terminal as it is?
pub fn is_clean(s: &str) -> bool {
    s.split('\n')
        .all(|l| l.chars().count() <= LINE_MAX && !l.chars().any(|c| c != '\t' && needs_escape(c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_ansi_and_newlines_in_names() {
        let fake = "a.json\u{1b}[2K\r\u{1b}[32mok all checks passed\u{1b}[0m\nok";
        let q = quote(fake);
        assert_eq!(
            q,
            "a.json\\x1b[2K\\r\\x1b[32mok all checks passed\\x1b[0m\\nok"
        );
    }

    #[test]
    fn escapes_bidi_overrides() {
        assert_eq!(quote("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
    }

    #[test]
    fn cuts_long_names_with_the_count() {
        let long = "x".repeat(50_000_000);
        let q = quote(&long);
        assert_eq!(
            q.chars().count(),
            NAME_MAX + "… (49999800 more bytes)".chars().count()
        );
        assert!(q.ends_with("… (49999800 more bytes)"));
    }

    #[test]
    fn terminal_keeps_lines_and_tabs() {
        assert_eq!(
            terminal("ok\tfine\nnext \u{1b}[31mred\u{7}"),
            "ok\tfine\nnext \\x1b[31mred\\x07"
        );
        assert_eq!(terminal("c1 \u{9b}31m"), "c1 \\x9b31m");
        let long = format!("{}\nshort", "y".repeat(LINE_MAX + 10));
        let t = terminal(&long);
        assert!(t.ends_with("… (10 more bytes)\nshort"), "{t}");
    }

    proptest! {
        #[test]
        fn quote_has_no_controls_and_is_bounded(s in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f\u{202a}-\u{202e}a]{0,400}") {
            let q = quote(&s);
            prop_assert!(!q.chars().any(needs_escape));
            prop_assert!(q.chars().count() <= NAME_MAX * 10 + 40);
        }

        #[test]
        fn terminal_output_is_clean(s in "(\\PC|[\\x00-\\x1f\\x7f-\\x9f\u{2066}\n])*") {
            let t = terminal(&s);
            prop_assert!(t.split('\n').all(|l| !l.chars().any(|c| c != '\t' && needs_escape(c))));
            prop_assert_eq!(t.matches('\n').count(), s.matches('\n').count());
        }

        #[test]
        fn clean_text_is_unchanged(s in "[a-zA-Z0-9 .,:/()\n\t-]{0,300}") {
            prop_assert!(is_clean(&s));
            prop_assert_eq!(terminal(&s), s);
        }
    }
}
