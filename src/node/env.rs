//! `.env` files as dotenv reads them: `KEY=value`, `export KEY=value`, single/double/back quotes,
//! `#` comments (whole-line, or after whitespace in an unquoted value). Each value keeps its span.

/// One variable: name, value, and the local span of the whole `KEY=value` text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
    pub span: (u32, u32),
}

pub fn parse(text: &str) -> Vec<EnvVar> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let lead = line.len() - line.trim_start().len();
        let mut body = &line[lead..];
        let mut start = line_start + lead;
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if let Some(rest) = body.strip_prefix("export ") {
            let skip = body.len() - rest.trim_start().len();
            body = &body[skip..];
            start += skip;
        }
        let Some(eq) = body.find('=') else { continue };
        let key = body[..eq].trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') {
            continue;
        }
        let after = &body[eq + 1..];
        let v = after.trim_start();
        let (value, used) = match v.chars().next() {
            Some(q @ ('"' | '\'' | '`')) => match v[1..].find(q) {
                Some(end) => {
                    let inner = &v[1..1 + end];
                    let val =
                        if q == '"' { inner.replace("\\n", "\n").replace("\\\"", "\"") } else { inner.to_string() };
                    (val, end + 2)
                }
                None => (v.to_string(), v.len()),
            },
            _ => {
                let cut = v.find(" #").or_else(|| v.find("\t#")).unwrap_or(v.len());
                (v[..cut].trim_end().to_string(), v[..cut].trim_end().len())
            }
        };
        let end = start + eq + 1 + (after.len() - v.len()) + used;
        out.push(EnvVar { key: key.to_string(), value, span: (start as u32, end as u32) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let t = "# comment\nPORT=3000\nexport HOST=\"0.0.0.0\"\n  KA='65000' \nX=abc # note\nEMPTY=\nbad line\n";
        let v = parse(t);
        let kv: Vec<(&str, &str)> = v.iter().map(|e| (e.key.as_str(), e.value.as_str())).collect();
        assert_eq!(kv, vec![("PORT", "3000"), ("HOST", "0.0.0.0"), ("KA", "65000"), ("X", "abc"), ("EMPTY", "")]);
        let sl = |e: &EnvVar| &t[e.span.0 as usize..e.span.1 as usize];
        assert_eq!(sl(&v[0]), "PORT=3000");
        assert_eq!(sl(&v[1]), "HOST=\"0.0.0.0\"");
        assert_eq!(sl(&v[2]), "KA='65000'");
        assert_eq!(sl(&v[3]), "X=abc");
    }
}
