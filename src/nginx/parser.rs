//! (stub)
pub fn looks_like_nginx(_text: &str) -> bool {
    false
}
