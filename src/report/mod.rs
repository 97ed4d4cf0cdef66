//! Reporters: the same findings and errors as human text (miette), JSON, and for CI systems
//! SARIF (code scanning), GitHub workflow commands, JUnit XML and GitLab Code Quality.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

// The escaping lives with the source map (a leaf module), which also needs it for snippets.
pub use crate::source::{printable, unsafe_char};

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
