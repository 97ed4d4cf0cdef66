//! `package.json` (`scripts.start`, `engines.node`, `main`), `.nvmrc` / `.node-version`, and the
//! two lines of a Dockerfile that matter here: `FROM node:NN` (the Node version) and `ENV`.

use super::defaults::NodeVersion;

/// What a `package.json` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Package {
    pub name: Option<String>,
    pub main: Option<String>,
    /// `scripts.start`, with its local span (the JSON string).
    pub start: Option<(String, (u32, u32))>,
    /// `engines.node`, with its local span.
    pub engines_node: Option<(String, (u32, u32))>,
}

/// Finds the local span of a JSON string value `"key": "value"` (first occurrence after `after`).
fn value_span(text: &str, key: &str, after: usize) -> Option<(u32, u32)> {
    let needle = format!("\"{key}\"");
    let k = text.get(after..)?.find(&needle)? + after + needle.len();
    let rest = &text[k..];
    let colon = rest.find(':')?;
    let v = &rest[colon + 1..];
    let q = v.find('"')?;
    let start = k + colon + 1 + q;
    let mut i = start + 1;
    let b = text.as_bytes();
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some((start as u32, (i + 1) as u32)),
            _ => i += 1,
        }
    }
    None
}

/// Parses a package.json. `Err` holds serde_json's message and the local offset of the error.
pub fn parse_package(text: &str) -> Result<Package, (String, u32)> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let off = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum::<usize>()
            + e.column().saturating_sub(1);
        (e.to_string(), off.min(text.len()) as u32)
    })?;
    let s = |p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_string);
    let scripts_at = text.find("\"scripts\"").unwrap_or(0);
    let engines_at = text.find("\"engines\"").unwrap_or(0);
    Ok(Package {
        name: s("/name"),
        main: s("/main"),
        start: s("/scripts/start").map(|st| {
            let span = value_span(text, "start", scripts_at).unwrap_or((0, 0));
            (st, span)
        }),
        engines_node: s("/engines/node").map(|n| {
            let span = value_span(text, "node", engines_at).unwrap_or((0, 0));
            (n, span)
        }),
    })
}

/// `.nvmrc` / `.node-version`: the first non-comment line, with its span.
pub fn parse_version_file(text: &str) -> Option<(String, (u32, u32))> {
    let mut off = 0usize;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let lead = line.len() - line.trim_start().len();
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') {
            let s = off + lead;
            return Some((t.to_string(), (s as u32, (s + t.len()) as u32)));
        }
        off += raw.len();
    }
    None
}

/// What follows the Dockerfile instruction `name` (any case) and the blank after it, if the line
/// `t` starts with that instruction. Never slices inside a character (`FROMé` is not `FROM`).
fn instruction<'a>(t: &'a str, name: &str) -> Option<&'a str> {
    let head = t.get(..name.len())?;
    let rest = &t[name.len()..];
    (head.eq_ignore_ascii_case(name) && rest.starts_with([' ', '\t']) && !rest.trim().is_empty()).then_some(rest)
}

/// The Node major of the final `FROM node:NN...` stage, with the image reference's span.
pub fn dockerfile_node(text: &str) -> Option<(String, (u32, u32))> {
    let mut found = None;
    let mut off = 0usize;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let lead = line.len() - line.trim_start().len();
        let t = &line[lead..];
        if let Some(rest) = instruction(t, "from") {
            let args = rest.trim_start();
            let args_at = off + lead + (t.len() - args.len());
            // Skip `--platform=...`.
            let mut pos = args_at;
            let mut image = "";
            for w in args.split_whitespace() {
                let at = pos + text[pos..].find(w).unwrap_or(0);
                pos = at + w.len();
                if !w.starts_with("--") {
                    image = w;
                    let img = w.rsplit('/').next().unwrap_or(w);
                    found = img.strip_prefix("node:").map(|tag| (tag.to_string(), (at as u32, (at + w.len()) as u32)));
                    break;
                }
            }
            let _ = image;
        }
        off += raw.len();
    }
    found.filter(|(tag, _)| NodeVersion::parse(tag).is_some())
}

/// `ENV KEY=value ...` and `ENV KEY value` lines of a Dockerfile, with the span of each pair.
pub fn dockerfile_env(text: &str) -> Vec<super::env::EnvVar> {
    let mut out = Vec::new();
    let mut off = 0usize;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let lead = line.len() - line.trim_start().len();
        let t = &line[lead..];
        if let Some(rest) = instruction(t, "env") {
            let body = rest.trim_start();
            let body_at = off + lead + (t.len() - body.len());
            if body.contains('=') {
                let mut pos = body_at;
                for w in body.split_whitespace() {
                    let at = pos + text[pos..].find(w).unwrap_or(0);
                    pos = at + w.len();
                    if let Some((k, v)) = w.split_once('=') {
                        out.push(super::env::EnvVar {
                            key: k.to_string(),
                            value: v.trim_matches(['"', '\'']).to_string(),
                            span: (at as u32, (at + w.len()) as u32),
                        });
                    }
                }
            } else if let Some((k, v)) = body.split_once(char::is_whitespace) {
                out.push(super::env::EnvVar {
                    key: k.to_string(),
                    value: v.trim().trim_matches(['"', '\'']).to_string(),
                    span: (body_at as u32, (body_at + body.len()) as u32),
                });
            }
        }
        off += raw.len();
    }
    out
}

/// A start command's leading `VAR=value` assignments and the script it runs:
/// `PORT=4000 node server.js` -> ([("PORT", "4000")], Some("server.js")).
pub fn parse_start(cmd: &str) -> (Vec<(String, String)>, Option<String>) {
    let mut env = Vec::new();
    let mut words = cmd.split_whitespace().peekable();
    while let Some(w) = words.peek() {
        match w.split_once('=') {
            Some((k, v)) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                env.push((k.to_string(), v.trim_matches(['"', '\'']).to_string()));
                words.next();
            }
            _ => break,
        }
    }
    if words.peek() == Some(&"cross-env") {
        words.next();
        return parse_start(&words.collect::<Vec<_>>().join(" "));
    }
    let runner = words.next();
    let script = match runner {
        Some("node" | "nodemon" | "ts-node" | "tsx" | "bun") => words.find(|w| !w.starts_with('-')).map(str::to_string),
        _ => None,
    };
    (env, script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json() {
        let t = r#"{ "name": "api", "scripts": { "test": "jest", "start": "PORT=4000 node server.js" }, "engines": { "node": ">=20" } }"#;
        let p = parse_package(t).unwrap();
        let (start, sp) = p.start.unwrap();
        assert_eq!(start, "PORT=4000 node server.js");
        assert_eq!(&t[sp.0 as usize..sp.1 as usize], "\"PORT=4000 node server.js\"");
        let (eng, sp) = p.engines_node.unwrap();
        assert_eq!(eng, ">=20");
        assert_eq!(&t[sp.0 as usize..sp.1 as usize], "\">=20\"");
        assert!(parse_package("{ \"name\": ").is_err());
    }

    #[test]
    fn start_script() {
        assert_eq!(
            parse_start("PORT=4000 node --enable-source-maps dist/server.js"),
            (vec![("PORT".into(), "4000".into())], Some("dist/server.js".into()))
        );
        assert_eq!(parse_start("cross-env PORT=1 node a.js").1, Some("a.js".into()));
        assert_eq!(parse_start("next start").1, None);
    }

    #[test]
    fn docker_and_version_files() {
        let d = "FROM node:20-alpine AS build\nRUN npm ci\nFROM --platform=linux/amd64 node:22.3-slim\nENV PORT=8080 NODE_ENV=production\nENV HOST 0.0.0.0\n";
        let (tag, sp) = dockerfile_node(d).unwrap();
        assert_eq!(tag, "22.3-slim");
        assert_eq!(&d[sp.0 as usize..sp.1 as usize], "node:22.3-slim");
        let env = dockerfile_env(d);
        assert_eq!(env[0].key, "PORT");
        assert_eq!(&d[env[0].span.0 as usize..env[0].span.1 as usize], "PORT=8080");
        assert_eq!((env[2].key.as_str(), env[2].value.as_str()), ("HOST", "0.0.0.0"));
        assert_eq!(dockerfile_node("FROM python:3.12\n"), None);
        // An instruction glued to a multibyte character is not one (and is not cut inside it).
        assert_eq!(dockerfile_node("FROM\u{e9}x\nFROMé node:20\n"), None);
        assert!(dockerfile_env("ENV\u{e9}=1 x\nENVé\nENV\n").is_empty());
        assert_eq!(dockerfile_node("from\tnode:18\n").unwrap().0, "18");
        assert_eq!(parse_version_file("\n# c\nv20.11.1\n").unwrap().0, "v20.11.1");
    }
}
