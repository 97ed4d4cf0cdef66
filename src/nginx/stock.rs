//! nginx's stock files that repositories include but often leave out (`include fastcgi_params;`
//! relies on the file the package installs). The texts are nginx's own `conf/` files
//! (BSD-2-Clause) and, for the Debian-only `proxy_params` and `snippets/fastcgi-php.conf`,
//! Debian 12's nginx package (BSD-2-Clause); each file in `src/nginx/stock/` names its source.

/// Canonical name (as `<builtin>/NAME` shows it) and text of each stock file.
const STOCK: &[(&str, &str)] = &[
    ("fastcgi_params", include_str!("stock/fastcgi_params")),
    ("fastcgi.conf", include_str!("stock/fastcgi.conf")),
    ("proxy_params", include_str!("stock/proxy_params")),
    ("mime.types", include_str!("stock/mime.types")),
    ("uwsgi_params", include_str!("stock/uwsgi_params")),
    ("scgi_params", include_str!("stock/scgi_params")),
    ("snippets/fastcgi-php.conf", include_str!("stock/fastcgi-php.conf")),
];

/// The built-in stand-in for an `include` argument naming a stock file, matched by the path's
/// tail: `fastcgi_params`, `/etc/nginx/fastcgi_params`, `snippets/fastcgi-php.conf`, ...
/// Globs never match.
pub fn stock_file(include_arg: &str) -> Option<(&'static str, &'static str)> {
    if include_arg.contains(['*', '?', '[']) {
        return None;
    }
    let name = include_arg.rsplit('/').next().unwrap_or(include_arg);
    STOCK.iter().copied().find(|(canon, _)| {
        let canon_name = canon.rsplit('/').next().unwrap_or(canon);
        canon_name == name
    })
}

/// Every stock file (canonical name, text).
pub fn all() -> &'static [(&'static str, &'static str)] {
    STOCK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_tail() {
        assert_eq!(stock_file("fastcgi_params").unwrap().0, "fastcgi_params");
        assert_eq!(stock_file("/etc/nginx/fastcgi_params").unwrap().0, "fastcgi_params");
        assert_eq!(stock_file("snippets/fastcgi-php.conf").unwrap().0, "snippets/fastcgi-php.conf");
        assert_eq!(stock_file("/etc/nginx/snippets/fastcgi-php.conf").unwrap().0, "snippets/fastcgi-php.conf");
        assert_eq!(stock_file("mime.types").unwrap().0, "mime.types");
        assert!(stock_file("conf.d/*.conf").is_none());
        assert!(stock_file("my_params").is_none());
        assert!(stock_file("fastcgi_params.bak").is_none());
        assert!(stock_file("proxy_params").unwrap().1.contains("proxy_set_header"));
    }
}
