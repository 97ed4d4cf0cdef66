//! The range lists: bundled files under `rules/cdn/` (compiled in), and a user's own copy named by
//! `[edge] cdn_ranges` in stacklint.toml or `--cdn-ranges FILE`. Format: one CIDR or bare address
//! per line, `#` starts a comment. A malformed line is a [`LoadError`] at its file and line; the
//! rest of the file is still read.

use super::parse_net;
use crate::diag::LoadError;
use crate::source::SourceFile;
use ipnet::IpNet;

/// Whether a bundled file holds current or withdrawn ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Current,
    Withdrawn,
}

/// One bundled file: (edge preset, kind, path in the repository, text).
pub static BUNDLED: &[(&str, Kind, &str, &str)] = &[
    ("cloudflare", Kind::Current, "rules/cdn/cloudflare-v4.txt", include_str!("../../rules/cdn/cloudflare-v4.txt")),
    ("cloudflare", Kind::Current, "rules/cdn/cloudflare-v6.txt", include_str!("../../rules/cdn/cloudflare-v6.txt")),
    (
        "cloudflare",
        Kind::Withdrawn,
        "rules/cdn/cloudflare-withdrawn.txt",
        include_str!("../../rules/cdn/cloudflare-withdrawn.txt"),
    ),
    ("fastly", Kind::Current, "rules/cdn/fastly-v4.txt", include_str!("../../rules/cdn/fastly-v4.txt")),
    ("fastly", Kind::Current, "rules/cdn/fastly-v6.txt", include_str!("../../rules/cdn/fastly-v6.txt")),
    ("gcp-lb", Kind::Current, "rules/cdn/gcp-lb-v4.txt", include_str!("../../rules/cdn/gcp-lb-v4.txt")),
    ("gcp-lb", Kind::Current, "rules/cdn/gcp-lb-v6.txt", include_str!("../../rules/cdn/gcp-lb-v6.txt")),
];

/// A malformed line: 1-based line, byte range of the bad text in the file, message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub range: std::ops::Range<usize>,
    pub message: String,
}

/// Reads a list; returns the networks with their 1-based lines, and the malformed lines.
pub fn parse_list(text: &str) -> (Vec<(IpNet, usize)>, Vec<BadLine>) {
    let mut nets = Vec::new();
    let mut bad = Vec::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let body = raw.split('#').next().unwrap_or("");
        let trimmed = body.trim();
        if trimmed.is_empty() {
            continue;
        }
        let lead = body.len() - body.trim_start().len();
        let range = start + lead..start + lead + trimmed.len();
        // Tolerate the nginx-include form people copy lists into: `set_real_ip_from 1.2.3.0/24;`.
        let word = trimmed.trim_end_matches(';').split_whitespace().last().unwrap_or("");
        let several = trimmed.trim_end_matches(';').split_whitespace().count() > 1
            && !trimmed.starts_with("set_real_ip_from")
            && !trimmed.starts_with("allow");
        match parse_net(word) {
            Some(n) if !several => nets.push((n, i + 1)),
            _ => bad.push(BadLine {
                line: i + 1,
                range,
                message: format!("`{trimmed}` is not an address or CIDR (one per line, like `173.245.48.0/20`)"),
            }),
        }
    }
    (nets, bad)
}

/// The bundled ranges of a provider: (current, withdrawn, files).
pub fn bundled(preset: &str) -> Option<(Vec<IpNet>, Vec<IpNet>, Vec<&'static str>)> {
    let files: Vec<_> = BUNDLED.iter().filter(|(p, ..)| *p == preset).collect();
    if files.is_empty() {
        return None;
    }
    let mut current = Vec::new();
    let mut withdrawn = Vec::new();
    for (_, kind, _, text) in &files {
        let (nets, _) = parse_list(text);
        let into = if *kind == Kind::Current { &mut current } else { &mut withdrawn };
        into.extend(nets.into_iter().map(|(n, _)| n));
    }
    let names = files.iter().map(|(_, _, path, _)| *path).collect();
    Some((IpNet::aggregate(&current), withdrawn, names))
}

/// Reads a user's range file already in the source map.
pub fn user_file(file: &SourceFile) -> (Vec<IpNet>, Vec<LoadError>) {
    let (nets, bad) = parse_list(&file.text);
    let errors = bad
        .into_iter()
        .map(|b| {
            LoadError::at(file.span(b.range.start, b.range.end), &file.display, b.message)
                .with_help("a range file holds one CIDR or address per line; `#` starts a comment")
        })
        .collect();
    (nets.into_iter().map(|(n, _)| n).collect(), errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_lists_parse_cleanly() {
        for (p, _, path, text) in BUNDLED {
            let (nets, bad) = parse_list(text);
            assert!(bad.is_empty(), "{path}: {bad:?}");
            assert!(!nets.is_empty(), "{path} ({p}) is empty");
            assert!(text.lines().any(|l| l.starts_with("# ") && l.contains("Taken:")), "{path} has no date");
        }
        let (c, w, _) = bundled("cloudflare").unwrap();
        assert_eq!(c.iter().filter(|n| matches!(n, IpNet::V6(_))).count(), 7);
        assert_eq!(w, vec!["104.16.0.0/12".parse::<IpNet>().unwrap()]);
        assert!(bundled("cloudfront").is_none());
        assert!(bundled("aws-alb").is_none());
    }

    #[test]
    fn malformed_lines_are_reported_and_the_rest_is_read() {
        let text = "# mine\n1.2.3.0/24\n  not-an-ip  # x\n2400:cb00::/32\n1.2.3.4/40\nset_real_ip_from 5.6.7.0/24;\n";
        let (nets, bad) = parse_list(text);
        assert_eq!(nets.len(), 3);
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![3, 5]);
        assert_eq!(&text[bad[0].range.clone()], "not-an-ip");
    }
}
