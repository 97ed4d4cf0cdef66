//! Reporters: the same findings and errors as human text (miette), JSON, and for CI systems
//! SARIF (code scanning), GitHub workflow commands, JUnit XML and GitLab Code Quality.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use std::borrow::Cow;

/// `s` with every control character but tab written out as an escape (`\r`, `\n`, `\u{1b}`,
/// `\u{85}`), for text that came from config files or their names and is printed where a line
/// break or a terminal escape would do harm: a CR or LF could start a line the GitHub runner
/// executes as a workflow command (`::error ...`), an ESC could drive the terminal.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// C0 controls but tab, DEL, C1 controls (NEL, CSI, ...).
pub fn unsafe_char(c: char) -> bool {
    c.is_control() && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn printable_escapes_controls_but_tab() {
        assert_eq!(printable("a\tb"), "a\tb");
        assert_eq!(printable("x\n::error file=a::b"), "x\\n::error file=a::b");
        assert_eq!(printable("x\r::warning::y"), "x\\r::warning::y");
        assert_eq!(printable("http://x\u{1b}[2J\u{9b}2J\u{7f}é"), "http://x\\u{1b}[2J\\u{9b}2J\\u{7f}é");
    }
}
