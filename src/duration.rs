//! Timeouts as every component reads them: a value in milliseconds (or "no limit"), and where it
//! came from: written in a file, inherited from an enclosing block, or a component's documented
//! default (with the versions it holds for and its source). Unit rules live in each component's
//! module; this type is what they all produce.

use crate::source::Span;
use std::fmt;

/// A documented default: what a component does when a setting is not written.
#[derive(Debug, PartialEq, Eq)]
pub struct DefaultFact {
    pub component: &'static str,
    pub setting: &'static str,
    /// `None` means "no limit" / disabled.
    pub value_ms: Option<u64>,
    /// Versions the default holds for, e.g. ">= 1.29.7 (1.30 stable)".
    pub versions: &'static str,
    /// Where the fact comes from (doc page or source file).
    pub source: &'static str,
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written at `span` (the directive or setting).
    Explicit(Span),
    /// Written at `span` in an enclosing block and inherited here.
    Inherited(Span),
    /// Not written: the component's default.
    Default(&'static DefaultFact),
    /// Declared in stacklint.toml or a preset (edge layers no file describes).
    Declared { what: String, span: Option<Span> },
}

impl Origin {
    pub fn span(&self) -> Option<Span> {
        match self {
            Origin::Explicit(s) | Origin::Inherited(s) => Some(*s),
            Origin::Declared { span, .. } => *span,
            Origin::Default(_) => None,
        }
    }
    pub fn is_default(&self) -> bool {
        matches!(self, Origin::Default(_))
    }
}

/// A timeout: milliseconds, or `None` for "no limit".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeout {
    pub ms: Option<u64>,
    pub origin: Origin,
}

impl Timeout {
    pub fn explicit(ms: Option<u64>, span: Span) -> Timeout {
        Timeout { ms, origin: Origin::Explicit(span) }
    }
    pub fn default(fact: &'static DefaultFact) -> Timeout {
        Timeout { ms: fact.value_ms, origin: Origin::Default(fact) }
    }
    pub fn inherited(self) -> Timeout {
        match self.origin {
            Origin::Explicit(s) => Timeout { ms: self.ms, origin: Origin::Inherited(s) },
            _ => self,
        }
    }

    /// "60 s (nginx default, unset)", "30 s", "no limit".
    pub fn describe(&self) -> String {
        let v = fmt_ms(self.ms);
        match &self.origin {
            Origin::Explicit(_) => v,
            Origin::Inherited(_) => format!("{v} (inherited)"),
            Origin::Default(f) => format!("{v} ({} default for `{}`, unset; {})", f.component, f.setting, f.versions),
            Origin::Declared { what, .. } => format!("{v} ({what})"),
        }
    }
}

/// Human form of a duration in milliseconds: `500 ms`, `30 s`, `1.5 s`, `2 min`, `no limit`.
pub fn fmt_ms(ms: Option<u64>) -> String {
    match ms {
        None => "no limit".to_string(),
        Some(ms) if ms % 60_000 == 0 && ms >= 120_000 => format!("{} min", ms / 60_000),
        Some(ms) if ms % 1000 == 0 => format!("{} s", ms / 1000),
        Some(ms) if ms >= 1000 => format!("{} s", (ms as f64) / 1000.0),
        Some(ms) => format!("{ms} ms"),
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fmt_ms(self.ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn formats_durations() {
        assert_eq!(fmt_ms(Some(30_000)), "30 s");
        assert_eq!(fmt_ms(Some(1_500)), "1.5 s");
        assert_eq!(fmt_ms(Some(250)), "250 ms");
        assert_eq!(fmt_ms(Some(600_000)), "10 min");
        assert_eq!(fmt_ms(Some(60_000)), "60 s");
        assert_eq!(fmt_ms(None), "no limit");
    }
}
