//! Node.js `http.Server` defaults by Node major version, with their sources
//! (`/work/shared/knowledge/defaults.md` §6; nodejs/node `doc/api/http.md`, `lib/_http_server.js`).
//! All values are milliseconds, Node's unit.

use crate::duration::DefaultFact;

/// The Node major assumed when nothing says which Node runs the app: the current LTS line.
pub const ASSUMED_MAJOR: u32 = 24;

/// The first major with the 65 s keep-alive default (PR #62782, semver-major, targeted v26;
/// the first release that ships it is unverified).
pub const KEEPALIVE_65S_MAJOR: u32 = 26;

const HTTP_DOC: &str = "nodejs/node doc/api/http.md, lib/_http_server.js";

macro_rules! fact {
    ($name:ident, $setting:expr, $ms:expr, $versions:expr, $source:expr) => {
        pub static $name: DefaultFact =
            DefaultFact { component: "node", setting: $setting, value_ms: $ms, versions: $versions, source: $source };
    };
}

fact!(KEEPALIVE_5S, "keepAliveTimeout", Some(5_000), "Node v8.0.0 to v25.x", HTTP_DOC);
fact!(
    KEEPALIVE_5S_ASSUMED,
    "keepAliveTimeout",
    Some(5_000),
    "no Node version found in engines, .nvmrc, .node-version or Dockerfile FROM; assumed v24 (current LTS line): 5 s in v8.0.0 to v25.x",
    HTTP_DOC
);
fact!(
    KEEPALIVE_65S,
    "keepAliveTimeout",
    Some(65_000),
    "Node >= v26 (PR #62782; first release that ships it unverified)",
    "nodejs/node PR #62782, lib/_http_server.js"
);
fact!(
    HEADERS_60S,
    "headersTimeout",
    Some(60_000),
    "min(requestTimeout, 60000) since v18.14.0 / v19.4.0; 60 s in older lines too (earlier values unverified)",
    "nodejs/node doc/api/http.md; PR #45778"
);
fact!(REQUEST_300S, "requestTimeout", Some(300_000), "Node >= v18.0.0", "nodejs/node doc/api/http.md; PR #41263");
fact!(REQUEST_NONE, "requestTimeout", None, "Node < v18.0.0 (0: none)", "nodejs/node doc/api/http.md; PR #41263");
fact!(TIMEOUT_NONE, "timeout", None, "0 (none) since v13.0.0", "nodejs/node doc/api/http.md; PR #27558");
fact!(TIMEOUT_120S, "timeout", Some(120_000), "Node < v13.0.0", "nodejs/node doc/api/http.md; PR #27558");
pub static FASTIFY_KEEPALIVE: DefaultFact = DefaultFact {
    component: "fastify",
    setting: "keepAliveTimeout",
    value_ms: Some(72_000),
    versions: "fastify v3 to v5",
    source: "fastify docs/Reference/Server.md (keepAliveTimeout)",
};
pub static FASTIFY_CONNECTION_TIMEOUT: DefaultFact = DefaultFact {
    component: "fastify",
    setting: "connectionTimeout",
    value_ms: None,
    versions: "fastify v3 to v5 (0: none)",
    source: "fastify docs/Reference/Server.md (connectionTimeout)",
};

/// The Node version an app runs, and how we know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeVersion {
    pub major: u32,
    pub minor: u32,
    /// `engines.node ">=20"`, `.nvmrc`, `FROM node:20-alpine`, or `None` when assumed.
    pub from: Option<String>,
}

impl NodeVersion {
    pub fn assumed() -> NodeVersion {
        NodeVersion { major: ASSUMED_MAJOR, minor: 0, from: None }
    }

    /// Reads `20`, `v20.11.1`, `>=18.0.0`, `^20`, `20.x`, `lts/iron`, `node:20-alpine`'s `20-alpine`.
    pub fn parse(s: &str) -> Option<(u32, u32)> {
        let t = s.trim().to_ascii_lowercase();
        let codename = t.strip_prefix("lts/").unwrap_or("");
        let by_name = match codename {
            "argon" => Some(4),
            "boron" => Some(6),
            "carbon" => Some(8),
            "dubnium" => Some(10),
            "erbium" => Some(12),
            "fermium" => Some(14),
            "gallium" => Some(16),
            "hydrogen" => Some(18),
            "iron" => Some(20),
            "jod" => Some(22),
            "krypton" => Some(24),
            _ => None,
        };
        if let Some(m) = by_name {
            return Some((m, 0));
        }
        let start = t.find(|c: char| c.is_ascii_digit())?;
        // Only a leading comparator or `v` may come before the number.
        if !t[..start].chars().all(|c| matches!(c, '>' | '<' | '=' | '^' | '~' | 'v' | ' ')) {
            return None;
        }
        let rest = &t[start..];
        let mut it = rest.split(|c: char| !c.is_ascii_digit());
        let major: u32 = it.next()?.parse().ok()?;
        let minor: u32 = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        (1..100).contains(&major).then_some((major, minor))
    }

    pub fn keepalive(&self) -> &'static DefaultFact {
        match (self.from.is_some(), self.major >= KEEPALIVE_65S_MAJOR) {
            (_, true) => &KEEPALIVE_65S,
            (true, false) => &KEEPALIVE_5S,
            (false, false) => &KEEPALIVE_5S_ASSUMED,
        }
    }

    pub fn headers_timeout(&self) -> &'static DefaultFact {
        &HEADERS_60S
    }

    pub fn request_timeout(&self) -> &'static DefaultFact {
        if self.major >= 18 {
            &REQUEST_300S
        } else {
            &REQUEST_NONE
        }
    }

    pub fn timeout(&self) -> &'static DefaultFact {
        if self.major >= 13 {
            &TIMEOUT_NONE
        } else {
            &TIMEOUT_120S
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32) -> NodeVersion {
        NodeVersion { major, minor: 0, from: Some("test".into()) }
    }

    #[test]
    fn parses_version_forms() {
        assert_eq!(NodeVersion::parse("20"), Some((20, 0)));
        assert_eq!(NodeVersion::parse("v20.11.1"), Some((20, 11)));
        assert_eq!(NodeVersion::parse(">=18.14.0"), Some((18, 14)));
        assert_eq!(NodeVersion::parse("^22"), Some((22, 0)));
        assert_eq!(NodeVersion::parse("20.x"), Some((20, 0)));
        assert_eq!(NodeVersion::parse("lts/iron"), Some((20, 0)));
        assert_eq!(NodeVersion::parse("20-alpine"), Some((20, 0)));
        assert_eq!(NodeVersion::parse("lts/*"), None);
        assert_eq!(NodeVersion::parse("node"), None);
        assert_eq!(NodeVersion::parse("alpine3.19"), None);
    }

    #[test]
    fn defaults_by_version() {
        assert_eq!(v(8).keepalive().value_ms, Some(5_000));
        assert_eq!(v(25).keepalive().value_ms, Some(5_000));
        assert_eq!(v(26).keepalive().value_ms, Some(65_000));
        assert_eq!(NodeVersion::assumed().keepalive().value_ms, Some(5_000));
        assert!(NodeVersion::assumed().keepalive().versions.contains("assumed v24"));
        assert_eq!(v(20).request_timeout().value_ms, Some(300_000));
        assert_eq!(v(16).request_timeout().value_ms, None);
        assert_eq!(v(20).headers_timeout().value_ms, Some(60_000));
        assert_eq!(v(20).timeout().value_ms, None);
        assert_eq!(v(12).timeout().value_ms, Some(120_000));
    }
}
