//! Container images: which server an image runs, and which version, from its reference alone
//! (`nginx:1.25-alpine`, `bitnami/php-fpm:8.2`, `envoyproxy/envoy:v1.28.0`, `php:8.3-fpm`).
//!
//! Official images (Docker Hub's `library/`), their common vendors' builds (bitnami, nginxinc,
//! haproxytech, openresty, envoyproxy) and registry mirrors (`docker.io/`, `public.ecr.aws/...`,
//! `mirror.gcr.io/`) are recognised. A tag that names no version (`latest`, `alpine`, `stable`,
//! `lts`, a digest only) is *floating*: it means the current release of that line, and is said as
//! such.

use std::fmt;

/// The server software an image runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Product {
    Nginx,
    /// OpenResty: nginx with LuaJIT; its version's first three numbers are the nginx it bundles.
    Openresty,
    Haproxy,
    Envoy,
    /// PHP's FastCGI process manager (`php:*-fpm*`).
    PhpFpm,
    /// PHP under Apache httpd's mod_php (`php:*-apache`).
    PhpApache,
    Node,
    Python,
    Traefik,
    Caddy,
    Httpd,
}

impl Product {
    pub fn as_str(&self) -> &'static str {
        match self {
            Product::Nginx => "nginx",
            Product::Openresty => "openresty",
            Product::Haproxy => "haproxy",
            Product::Envoy => "envoy",
            Product::PhpFpm => "php-fpm",
            Product::PhpApache => "php (apache)",
            Product::Node => "node",
            Product::Python => "python",
            Product::Traefik => "traefik",
            Product::Caddy => "caddy",
            Product::Httpd => "httpd",
        }
    }
}

/// An image reference, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// As written.
    pub text: String,
    /// Repository without registry and tag (`library/nginx` -> `nginx`, `bitnami/nginx`).
    pub repository: String,
    pub tag: Option<String>,
    pub product: Option<Product>,
    /// The version the tag names (`1.25`, `8.2`, `1.28.0`), as far as it goes.
    pub version: Option<String>,
    /// The tag names no version: the current release of the line.
    pub floating: bool,
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Registries whose path's first part is a host (`ghcr.io/x/y`, `localhost:5000/x`).
fn strip_registry(path: &str) -> &str {
    match path.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => rest,
        _ => path,
    }
}

impl Image {
    /// Reads an image reference; `None` when it is not one (empty, or an unresolved `${VAR}`).
    pub fn parse(text: &str) -> Option<Image> {
        let t = text.trim().trim_matches(['"', '\'']);
        if t.is_empty() || t.contains('$') || t.contains(char::is_whitespace) || crate::template::is_unknown(t) {
            return None;
        }
        let no_digest = t.split('@').next().unwrap_or(t);
        // The tag is after the last `:` that follows the last `/` (a registry port comes before).
        let (path, tag) = match no_digest.rsplit_once(':') {
            Some((p, tag)) if !tag.contains('/') => (p, Some(tag.to_string())),
            _ => (no_digest, None),
        };
        let mut repo = strip_registry(path).to_ascii_lowercase();
        if let Some(r) = repo.strip_prefix("library/") {
            repo = r.to_string();
        }
        // Mirrors that keep Docker Hub's paths under a prefix.
        for prefix in ["docker/library/", "nginx/", "dockerhub/library/"] {
            if let Some(r) = repo.strip_prefix(prefix) {
                if !r.contains('/') {
                    repo = r.to_string();
                }
            }
        }
        let last = repo.rsplit('/').next().unwrap_or(&repo).to_string();
        let tag_l = tag.as_deref().map(str::to_ascii_lowercase);
        let product = product_of(&repo, &last, tag_l.as_deref());
        let version = tag_l.as_deref().and_then(version_of);
        let floating = version.is_none();
        Some(Image { text: t.to_string(), repository: repo, tag, product, version, floating })
    }

    /// The nginx version this image runs, when it says (nginx and OpenResty images).
    pub fn nginx_version(&self) -> Option<&str> {
        match self.product {
            Some(Product::Nginx) | Some(Product::Openresty) => self.version.as_deref(),
            _ => None,
        }
    }
}

fn product_of(repo: &str, last: &str, tag: Option<&str>) -> Option<Product> {
    let tag = tag.unwrap_or("");
    let php = |t: &str| {
        if t.contains("fpm") {
            Some(Product::PhpFpm)
        } else if t.contains("apache") {
            Some(Product::PhpApache)
        } else {
            None
        }
    };
    match last {
        "nginx" | "nginx-unprivileged" | "nginx-proxy" | "nginx-proxy-manager" => Some(Product::Nginx),
        "openresty" => Some(Product::Openresty),
        "haproxy" | "haproxy-alpine" | "haproxy-debian" | "haproxy-ubuntu" => Some(Product::Haproxy),
        "envoy" | "envoy-alpine" | "envoy-distroless" => Some(Product::Envoy),
        "php-fpm" => Some(Product::PhpFpm),
        "php" => php(tag),
        "node" => Some(Product::Node),
        "python" => Some(Product::Python),
        "traefik" => Some(Product::Traefik),
        "caddy" => Some(Product::Caddy),
        "httpd" | "apache" => Some(Product::Httpd),
        _ if repo.ends_with("/php") => php(tag),
        _ => None,
    }
}

/// The version at the start of a tag: `1.25.3-alpine` -> `1.25.3`, `v1.28-latest` -> `1.28`,
/// `8.2-fpm` -> `8.2`, `20-slim` -> `20`, `distroless-v1.28.0` -> `1.28.0`.
fn version_of(tag: &str) -> Option<String> {
    let t = tag.strip_prefix("distroless-").unwrap_or(tag);
    let t = t.strip_prefix('v').unwrap_or(t);
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let v = t[..end].trim_end_matches('.');
    (!v.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())).then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Image {
        Image::parse(s).unwrap()
    }

    #[test]
    fn official_and_vendor_images() {
        let i = p("nginx:1.25.3-alpine");
        assert_eq!((i.product, i.version.as_deref(), i.floating), (Some(Product::Nginx), Some("1.25.3"), false));
        let i = p("docker.io/library/nginx:1.21");
        assert_eq!((i.product, i.version.as_deref()), (Some(Product::Nginx), Some("1.21")));
        assert_eq!(p("nginxinc/nginx-unprivileged:1.27-alpine").nginx_version(), Some("1.27"));
        assert_eq!(p("public.ecr.aws/nginx/nginx:1.26").nginx_version(), Some("1.26"));
        assert_eq!(p("bitnami/nginx:1.25.4-debian-12-r3").nginx_version(), Some("1.25.4"));
        assert_eq!(p("openresty/openresty:1.21.4.1-alpine").nginx_version(), Some("1.21.4.1"));
        assert_eq!(p("haproxy:2.8-alpine").product, Some(Product::Haproxy));
        assert_eq!(p("envoyproxy/envoy:v1.28.0").version.as_deref(), Some("1.28.0"));
        assert_eq!(p("envoyproxy/envoy:distroless-v1.29-latest").version.as_deref(), Some("1.29"));
        assert_eq!(p("php:8.2-fpm").product, Some(Product::PhpFpm));
        assert_eq!(p("php:8.3-fpm-alpine").version.as_deref(), Some("8.3"));
        assert_eq!(p("php:8.2-apache").product, Some(Product::PhpApache));
        assert_eq!(p("php:8.2-cli").product, None);
        assert_eq!(p("bitnami/php-fpm:8.2").product, Some(Product::PhpFpm));
        assert_eq!(p("node:20-alpine").version.as_deref(), Some("20"));
        assert_eq!(p("localhost:5000/nginx:1.25").nginx_version(), Some("1.25"));
    }

    #[test]
    fn floating_tags_and_non_images() {
        for s in ["nginx", "nginx:latest", "nginx:alpine", "nginx:stable", "nginx:mainline-alpine", "node:lts"] {
            assert!(p(s).floating, "{s}");
        }
        assert!(p("nginx@sha256:abc").floating);
        assert!(Image::parse("${NGINX_IMAGE}").is_none());
        assert!(Image::parse("").is_none());
        assert_eq!(p("ghcr.io/acme/api:1.2").product, None);
    }
}
