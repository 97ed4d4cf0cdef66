//! nginx's own start-up checks of each directive, as `nginx -t` makes them (rule SL404
//! invalid-directive): unknown directives (with a did-you-mean), directives newer than the
//! version in use, contexts (`"proxy_pass" directive is not allowed here`), argument counts,
//! `{`/`;` where the directive wants the other, values of the common kinds (flag, time, size,
//! number, enum), the duplicates nginx refuses, duplicate `location`s and a second
//! `default_server` on one address, and the parameters of `listen` and upstream `server`.
//!
//! The table: names, contexts and arity flags are crossplane 0.5.8's analyzer table
//! (`crossplane_directives.rs`, itself transcribed by NGINX, Inc. from the `ngx_command_t` arrays
//! of nginx's modules: `NGX_HTTP_MAIN_CONF|...`, `NGX_CONF_TAKE1`, ... as the same bits), plus
//! [`ADDED`]: the directives and contexts nginx gained after it (nginx `CHANGES`, 1.19.4 to
//! 1.29.4), each with the version that introduced it, plus [`third_party`]: well-known modules
//! (OpenResty/lua, headers-more, brotli, njs, geoip2, vts, cache_purge, ...) known by name only,
//! so that they give no false finding. Messages are nginx's own wording; the line is the one
//! nginx names (the line of the `;` or `{` that ends the directive).

use super::ast::{Directive, Tree};
use super::crossplane_directives::DIRECTIVES;
use super::defaults::{self, Version};
use crate::graph::{Component, Problem, ProblemKind, StackBuilder};
use crate::source::{SourceFile, Span};
use crate::template;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

// nginx's bits (ngx_conf_file.h, ngx_http_config.h, ...), as crossplane's table holds them.
const TAKE1: u32 = 0x2;
const TAKE2: u32 = 0x4;
const TAKE3: u32 = 0x8;
const TAKE123: u32 = TAKE1 | TAKE2 | TAKE3;
const BLOCK: u32 = 0x100;
const FLAG: u32 = 0x200;
const ANY: u32 = 0x400;
const MORE1: u32 = 0x800;
const MORE2: u32 = 0x1000;
const ARGS: u32 = 0xff;

const DIRECT: u32 = 0x0001_0000;
const MAIN: u32 = 0x0004_0000;
const STREAM_MAIN: u32 = 0x0040_0000;
const STREAM_SRV: u32 = 0x0080_0000;
const STREAM_UPS: u32 = 0x0100_0000;
const HTTP_MAIN: u32 = 0x0200_0000;
const HTTP_SRV: u32 = 0x0400_0000;
const HTTP_LOC: u32 = 0x0800_0000;
const HTTP_UPS: u32 = 0x1000_0000;
const MAIL_MAIN: u32 = 0x0010_0000;
const MAIL_SRV: u32 = 0x0020_0000;
const HTTP_MSL: u32 = HTTP_MAIN | HTTP_SRV | HTTP_LOC;
const HTTP_MS: u32 = HTTP_MAIN | HTTP_SRV;
const STREAM_MS: u32 = STREAM_MAIN | STREAM_SRV;

const fn v(a: u32, b: u32, c: u32) -> Option<Version> {
    Some(Version(a, b, c))
}

/// Directives and contexts added to nginx after crossplane 0.5.8's table: (name, bits, version
/// that introduced it, when known). Source: nginx `CHANGES` (nginx.org/en/CHANGES) and the
/// module docs' "This directive appeared in version ...".
static ADDED: &[(&str, u32, Option<Version>)] = &[
    ("ssl_conf_command", HTTP_MS | TAKE2, v(1, 19, 4)),
    ("ssl_conf_command", STREAM_MS | TAKE2, v(1, 19, 4)),
    ("ssl_conf_command", MAIL_MAIN | MAIL_SRV | TAKE2, v(1, 19, 4)),
    ("proxy_ssl_conf_command", HTTP_MSL | TAKE2, v(1, 19, 4)),
    ("proxy_ssl_conf_command", STREAM_MS | TAKE2, v(1, 19, 4)),
    ("grpc_ssl_conf_command", HTTP_MSL | TAKE2, v(1, 19, 4)),
    ("uwsgi_ssl_conf_command", HTTP_MSL | TAKE2, v(1, 19, 4)),
    ("ssl_reject_handshake", HTTP_MS | FLAG, v(1, 19, 4)),
    ("ssl_reject_handshake", STREAM_MS | FLAG, v(1, 25, 5)),
    ("keepalive_time", HTTP_MSL | TAKE1, v(1, 19, 10)),
    ("keepalive_time", HTTP_UPS | TAKE1, v(1, 19, 10)),
    ("mp4_start_key_frame", HTTP_MSL | FLAG, v(1, 21, 4)),
    ("proxy_half_close", STREAM_MS | FLAG, v(1, 21, 4)),
    ("ssl_alpn", STREAM_MS | MORE1, v(1, 21, 4)),
    ("http3", HTTP_MS | FLAG, v(1, 25, 0)),
    ("http3_hq", HTTP_MS | FLAG, v(1, 25, 0)),
    ("http3_max_concurrent_streams", HTTP_MS | TAKE1, v(1, 25, 0)),
    ("http3_stream_buffer_size", HTTP_MS | TAKE1, v(1, 25, 0)),
    ("quic_active_connection_id_limit", HTTP_MS | TAKE1, v(1, 25, 0)),
    ("quic_bpf", MAIN | DIRECT | FLAG, v(1, 25, 0)),
    ("quic_gso", HTTP_MS | FLAG, v(1, 25, 0)),
    ("quic_host_key", HTTP_MS | TAKE1, v(1, 25, 0)),
    ("quic_retry", HTTP_MS | FLAG, v(1, 25, 0)),
    ("http2", HTTP_MS | FLAG, v(1, 25, 1)),
    ("pass", STREAM_SRV | TAKE1, v(1, 25, 5)),
    ("server_name", STREAM_SRV | MORE1, v(1, 25, 5)),
    ("ssl_certificate_cache", HTTP_MS | TAKE123, v(1, 27, 4)),
    ("ssl_certificate_cache", STREAM_MS | TAKE123, v(1, 27, 4)),
    ("proxy_ssl_certificate_cache", HTTP_MSL | TAKE123, v(1, 27, 4)),
    ("proxy_ssl_certificate_cache", STREAM_MS | TAKE123, v(1, 27, 4)),
    ("grpc_ssl_certificate_cache", HTTP_MSL | TAKE123, v(1, 27, 4)),
    ("uwsgi_ssl_certificate_cache", HTTP_MSL | TAKE123, v(1, 27, 4)),
    ("ssl_object_cache_inheritable", MAIN | DIRECT | FLAG, v(1, 27, 4)),
    ("resolver", HTTP_UPS | MORE1, v(1, 27, 3)),
    ("resolver_timeout", HTTP_UPS | TAKE1, v(1, 27, 3)),
    ("resolver", STREAM_UPS | MORE1, v(1, 27, 3)),
    ("resolver_timeout", STREAM_UPS | TAKE1, v(1, 27, 3)),
    ("early_hints", HTTP_MSL | MORE1, v(1, 29, 0)),
    ("proxy_allow_http09", HTTP_MSL | FLAG, v(1, 29, 1)),
    ("ssl_ech_file", HTTP_MS | TAKE1, v(1, 29, 4)),
    ("ssl_ech_file", STREAM_MS | TAKE1, v(1, 29, 4)),
    // In current nginx; the version that introduced them is not recorded here.
    ("ssl_key_log", HTTP_MS | TAKE1, None),
    ("ssl_key_log", STREAM_MS | TAKE1, None),
    ("proxy_ssl_key_log", HTTP_MSL | TAKE1, None),
    ("keepalive_min_timeout", HTTP_MSL | TAKE1, None),
    ("max_headers", HTTP_MS | TAKE1, None),
    ("proxy_pass_trailers", HTTP_MSL | FLAG, None),
    ("sticky", HTTP_UPS | MORE1, None),
    ("auth_delay", HTTP_MSL | TAKE1, v(1, 17, 10)),
];

/// Third-party modules known by name (any context, any arguments): no finding comes from them.
pub fn third_party(name: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "lua_",
        "more_",
        "brotli",
        "js_",
        "geoip2",
        "vhost_traffic_status",
        "stream_server_traffic_status",
        "server_traffic_status",
        "echo",
        "set_",
        "srcache_",
        "memc_",
        "redis",
        "redis2_",
        "nchan_",
        "push_stream_",
        "modsecurity",
        "pagespeed",
        "passenger_",
        "fancyindex",
        "dav_ext_",
        "auth_pam",
        "auth_ldap",
        "ldap_",
        "upload_progress",
        "upload_",
        "sticky",
        "otel_",
        "opentelemetry",
        "opentracing",
        "subs_filter",
        "replace_filter",
        "array_",
        "rds_",
        "drizzle_",
        "postgres_",
        "encrypted_session",
        "form_input",
        "xss_",
        "iconv",
        "zstd",
        "healthcheck",
        "session_sticky",
        "consistent_hash",
        "ajp_",
        "testcookie",
        "vod",
        "njt_",
        "upsync",
        "dynamic_upstream",
        "jwt_",
        "auth_jwt",
        "waf",
        "naxsi",
        "security_headers",
        "ssl_dyn_rec",
        "rtmp",
        "hls",
        "ngx_",
        "perl",
        "xslt",
        "image_filter",
        "geoip_",
        "uploadprogress",
        "headers_more",
        "cache_purge",
        "purge",
        "secure_token",
        "akamai_",
        "aws_",
        "google_",
        "sorted_querystring",
        "statsd_",
        "vts_",
        "upstream_",
        "ntlm",
        "dyups_",
        "limit_traffic_",
        "traffic_",
        "pinba_",
        "small_light",
        "mruby_",
        "wasm_",
        "proxy_wasm",
        "spnego",
        "auth_gss",
        "gzip_brotli",
        "access_key",
        "limit_upload_",
        "ssl_ct",
        "vhost_",
        "req_status",
        "tengine",
        "footer",
        "concat",
        "slowfs_",
        "sysguard",
        "user_agent",
        "nginx_",
        "unzip",
    ];
    const NAMES: &[&str] = &[
        "content_by_lua",
        "access_by_lua",
        "rewrite_by_lua",
        "log_by_lua",
        "header_filter_by_lua",
        "body_filter_by_lua",
        "init_by_lua",
        "init_worker_by_lua",
        "set_by_lua",
        "balancer_by_lua",
        "SecRulesEnabled",
        "SecRulesDisabled",
        "DeniedUrl",
        "LearningMode",
        "CheckRule",
        "BasicRule",
        "MainRule",
        "LibInjectionSql",
        "LibInjectionXss",
        "track_uploads",
        "report_uploads",
        "proxy_cache_purge",
        "fastcgi_cache_purge",
        "uwsgi_cache_purge",
        "scgi_cache_purge",
        "dav_methods_ext",
        "uwsgi_modifier1",
        "brotli",
    ];
    name.contains("_by_lua")
        || name.contains("by_njs")
        || PREFIXES.iter().any(|p| name.starts_with(p))
        || NAMES.contains(&name)
}

/// Where a directive stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Main,
    Events,
    Mail,
    MailServer,
    Stream,
    StreamServer,
    StreamUpstream,
    Http,
    Server,
    Location,
    Upstream,
    ServerIf,
    LocationIf,
    LimitExcept,
}

impl Ctx {
    fn mask(self) -> u32 {
        match self {
            Ctx::Main => MAIN,
            Ctx::Events => 0x0008_0000,
            Ctx::Mail => MAIL_MAIN,
            Ctx::MailServer => MAIL_SRV,
            Ctx::Stream => STREAM_MAIN,
            Ctx::StreamServer => STREAM_SRV,
            Ctx::StreamUpstream => STREAM_UPS,
            Ctx::Http => HTTP_MAIN,
            Ctx::Server => HTTP_SRV,
            Ctx::Location => HTTP_LOC,
            Ctx::Upstream => HTTP_UPS,
            Ctx::ServerIf => 0x2000_0000,
            Ctx::LocationIf => 0x4000_0000,
            Ctx::LimitExcept => 0x8000_0000,
        }
    }

    /// The context a block directive opens here, when its body holds directives.
    fn enter(self, name: &str) -> Option<Ctx> {
        Some(match (self, name) {
            (Ctx::Main, "events") => Ctx::Events,
            (Ctx::Main, "http") => Ctx::Http,
            (Ctx::Main, "stream") => Ctx::Stream,
            (Ctx::Main, "mail") => Ctx::Mail,
            (Ctx::Http, "server") => Ctx::Server,
            (Ctx::Http, "upstream") => Ctx::Upstream,
            (Ctx::Server | Ctx::Location | Ctx::LocationIf, "location") => Ctx::Location,
            (Ctx::Server, "if") => Ctx::ServerIf,
            (Ctx::Location, "if") => Ctx::LocationIf,
            (Ctx::Location, "limit_except") => Ctx::LimitExcept,
            (Ctx::Stream, "server") => Ctx::StreamServer,
            (Ctx::Stream, "upstream") => Ctx::StreamUpstream,
            (Ctx::Mail, "server") => Ctx::MailServer,
            _ => return None,
        })
    }
}

/// What the table says of one name, built once.
#[derive(Default)]
struct Info {
    /// (bits, version that introduced it)
    entries: Vec<(u32, Option<Version>)>,
    /// nginx refuses it twice in one block.
    single: bool,
    /// Which value check applies: 1 time, 2 size, 3 number, 4 enum, 5 bitmask, 0 none.
    kind: u8,
}

/// FNV-1a: the table's keys are short and fixed; SipHash's cost shows on 100k directives.
#[derive(Default)]
struct Fnv(u64);
impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}
type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

fn info(name: &str) -> Option<&'static Info> {
    static TABLE: std::sync::OnceLock<FnvMap<&'static str, Info>> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t: FnvMap<&'static str, Info> = FnvMap::default();
        for (n, masks) in DIRECTIVES {
            t.entry(n).or_default().entries.extend(masks.iter().map(|&m| (m, None)));
        }
        for &(n, m, v) in ADDED {
            t.entry(n).or_default().entries.push((m, v));
        }
        for (n, i) in t.iter_mut() {
            i.kind = if TIME.contains(n) {
                1
            } else if SIZE.contains(n) {
                2
            } else if NUMBER.contains(n) {
                3
            } else if ENUM.iter().any(|(e, _)| e == n) {
                4
            } else if BITMASK.iter().any(|(e, _)| e == n) {
                5
            } else {
                0
            };
            let flag = i.entries.iter().any(|(m, _)| m & FLAG != 0) && !FLAG_NO_DUP.contains(n);
            i.single = flag || i.kind != 0 || SINGLE.contains(n);
        }
        t
    });
    t.get(name)
}

/// Every entry of the table for a name: (bits, version that introduced it).
fn entries(name: &str) -> &'static [(u32, Option<Version>)] {
    info(name).map(|i| i.entries.as_slice()).unwrap_or(&[])
}

/// Every directive name of the table, for did-you-mean.
fn all_names() -> impl Iterator<Item = &'static str> {
    DIRECTIVES.iter().map(|(n, _)| *n).chain(ADDED.iter().map(|(n, _, _)| *n))
}

/// The number of directive names in the table (crossplane's and those added since).
pub fn table_len() -> usize {
    all_names().collect::<HashSet<_>>().len()
}

fn edit_distance(a: &str, b: &str) -> usize {
    // Damerau-Levenshtein (optimal string alignment): a swap of two letters is one edit.
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, x) in d[0].iter_mut().enumerate() {
        *x = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut x = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                x = x.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = x;
        }
    }
    d[a.len()][b.len()]
}

/// The nearest known name, if near enough to be a typo.
pub fn did_you_mean(name: &str) -> Option<&'static str> {
    let max = if name.len() <= 5 { 1 } else { 2 };
    all_names()
        .filter(|n| n.len().abs_diff(name.len()) <= max)
        .map(|n| (edit_distance(name, n), n))
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, n)| n)
}

/// Directives whose first argument is an nginx time (`ngx_conf_set_msec_slot`/`sec_slot`).
const TIME: &[&str] = &[
    "client_body_timeout",
    "client_header_timeout",
    "keepalive_timeout",
    "send_timeout",
    "lingering_time",
    "lingering_timeout",
    "resolver_timeout",
    "keepalive_time",
    "auth_delay",
    "ssl_session_timeout",
    "proxy_connect_timeout",
    "proxy_read_timeout",
    "proxy_send_timeout",
    "proxy_next_upstream_timeout",
    "proxy_cache_lock_timeout",
    "proxy_cache_lock_age",
    "fastcgi_connect_timeout",
    "fastcgi_read_timeout",
    "fastcgi_send_timeout",
    "fastcgi_next_upstream_timeout",
    "fastcgi_cache_lock_timeout",
    "fastcgi_cache_lock_age",
    "uwsgi_connect_timeout",
    "uwsgi_read_timeout",
    "uwsgi_send_timeout",
    "uwsgi_next_upstream_timeout",
    "scgi_connect_timeout",
    "scgi_read_timeout",
    "scgi_send_timeout",
    "scgi_next_upstream_timeout",
    "grpc_connect_timeout",
    "grpc_read_timeout",
    "grpc_send_timeout",
    "grpc_next_upstream_timeout",
    "memcached_connect_timeout",
    "memcached_read_timeout",
    "memcached_send_timeout",
    "open_file_cache_valid",
    "worker_shutdown_timeout",
    "timer_resolution",
    "accept_mutex_delay",
    "proxy_timeout",
    "preread_timeout",
    "http2_idle_timeout",
    "http2_recv_timeout",
    "keepalive_min_timeout",
];
/// Directives whose first argument is a size (`ngx_conf_set_size_slot`/`off_slot`).
const SIZE: &[&str] = &[
    "client_max_body_size",
    "client_body_buffer_size",
    "client_header_buffer_size",
    "connection_pool_size",
    "request_pool_size",
    "postpone_output",
    "send_lowat",
    "sendfile_max_chunk",
    "limit_rate_after",
    "proxy_buffer_size",
    "proxy_busy_buffers_size",
    "proxy_temp_file_write_size",
    "proxy_max_temp_file_size",
    "fastcgi_buffer_size",
    "fastcgi_busy_buffers_size",
    "fastcgi_temp_file_write_size",
    "fastcgi_max_temp_file_size",
    "uwsgi_buffer_size",
    "uwsgi_busy_buffers_size",
    "scgi_buffer_size",
    "scgi_busy_buffers_size",
    "grpc_buffer_size",
    "types_hash_bucket_size",
    "server_names_hash_bucket_size",
    "variables_hash_bucket_size",
    "map_hash_bucket_size",
    "proxy_headers_hash_bucket_size",
    "subrequest_output_buffer_size",
    "ssl_buffer_size",
    "read_ahead",
    "gzip_min_length",
    "memcached_buffer_size",
    "proxy_buffer_size",
];
/// Directives whose first argument is a number (`ngx_conf_set_num_slot`: "invalid number").
const NUMBER: &[&str] = &[
    "keepalive_requests",
    "worker_rlimit_nofile",
    "gzip_comp_level",
    "types_hash_max_size",
    "server_names_hash_max_size",
    "variables_hash_max_size",
    "map_hash_max_size",
    "proxy_headers_hash_max_size",
    "open_file_cache_min_uses",
    "proxy_next_upstream_tries",
    "fastcgi_next_upstream_tries",
    "uwsgi_next_upstream_tries",
    "scgi_next_upstream_tries",
    "grpc_next_upstream_tries",
    "max_ranges",
    "http2_max_concurrent_streams",
    "worker_connections",
    "limit_req_status",
    "limit_conn_status",
];
/// Enumerations (`ngx_conf_set_enum_slot` / `bitmask_slot`: `invalid value "x"`).
const ENUM: &[(&str, &[&str])] = &[
    ("proxy_http_version", &["1.0", "1.1", "2"]),
    ("gzip_http_version", &["1.0", "1.1"]),
    ("lingering_close", &["off", "on", "always"]),
    ("client_body_in_file_only", &["off", "on", "clean"]),
    ("satisfy", &["all", "any"]),
    ("if_modified_since", &["off", "exact", "before"]),
    ("server_tokens", &["off", "on", "build"]),
    ("ssl_verify_client", &["off", "on", "optional", "optional_no_ca"]),
    ("autoindex_format", &["html", "xml", "json", "jsonp"]),
    ("gzip_static", &["off", "on", "always"]),
    ("gunzip", &["off", "on"]),
];
/// Bit masks (`ngx_conf_set_bitmask_slot`): every argument one of these.
const BITMASK: &[(&str, &[&str])] = &[
    ("ssl_protocols", &["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
    ("proxy_ssl_protocols", &["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
    (
        "gzip_proxied",
        &["off", "expired", "no-cache", "no-store", "private", "no_last_modified", "no_etag", "auth", "any"],
    ),
    ("keepalive_disable", &["none", "msie6", "safari"]),
];
/// Other single-valued directives whose handler refuses a second one in the same block.
const SINGLE: &[&str] = &[
    "default_type",
    "pid",
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
    "try_files",
    "ssl_ciphers",
    "proxy_cache",
    "fastcgi_cache",
    "client_body_temp_path",
    "proxy_temp_path",
    "fastcgi_temp_path",
    "ssl_dhparam",
    "ssl_trusted_certificate",
    "ssl_client_certificate",
    "user",
    "worker_processes",
    "expires",
    "proxy_cache_key",
    "fastcgi_cache_key",
    "working_directory",
    "use",
    "keepalive",
    "ssl_ecdh_curve",
];
/// FLAG directives whose handler does not refuse a second one.
const FLAG_NO_DUP: &[&str] = &["ssl", "http2", "http3", "quic_retry", "ssl_reject_handshake"];

/// nginx's `ngx_parse_size`: a number with an optional `k`/`K`/`m`/`M` (`g`/`G` for offsets).
fn size_ok(s: &str, offset: bool) -> bool {
    let (num, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], Some(c)),
        _ => (s, None),
    };
    let unit_ok = match unit {
        None | Some('k' | 'K' | 'm' | 'M') => true,
        Some('g' | 'G') => offset,
        _ => false,
    };
    unit_ok && !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit())
}

fn time_ok(s: &str, is_sec: bool) -> bool {
    if is_sec && s.contains("ms") {
        return false;
    }
    defaults::parse_time(s).is_ok()
}

/// Directives whose time is in seconds (`ngx_conf_set_sec_slot`): `ms` is refused.
const SEC: &[&str] = &["ssl_session_timeout", "open_file_cache_valid", "proxy_cache_lock_age"];

/// A directive nginx would refuse.
#[derive(Clone, Debug)]
pub struct Invalid {
    /// The part of the directive on the line nginx names.
    pub span: Span,
    /// nginx's message.
    pub message: String,
    pub help: String,
    /// An unknown directive in a tree that loads dynamic modules.
    pub warning: bool,
}

struct Checker<'a> {
    tree: &'a Tree,
    version: Version,
    /// The tree loads dynamic modules: an unknown directive may be one of theirs.
    modules: bool,
    /// Some file holds a template placeholder (else no value needs the check).
    templated: bool,
    out: Vec<Invalid>,
    /// file starts (global), for finding the file of a span
    starts: Vec<(u32, usize)>,
}

/// Checks every directive of the tree, adding a problem for each one nginx would refuse.
/// Values the model already reported (SL401) are not reported again.
pub fn check(tree: &Tree, version: Version, b: &mut StackBuilder) {
    let problems = check_tree(tree, version);
    let seen: HashSet<Span> = b.stack.problems.iter().map(|p| p.span).collect();
    let mut done = HashSet::new();
    for p in problems {
        if seen.iter().any(|s| s.start >= p.span.start && s.end <= p.span.end)
            || !done.insert((p.span, p.message.clone()))
        {
            continue;
        }
        b.add_problem(Problem {
            kind: if p.warning { ProblemKind::UnknownDirectiveWithModules } else { ProblemKind::InvalidDirective },
            component: Component::Nginx,
            span: p.span,
            message: p.message,
            help: p.help,
        });
    }
}

/// Every directive nginx would refuse, in the tree's order.
pub fn check_tree(tree: &Tree, version: Version) -> Vec<Invalid> {
    let mut starts: Vec<(u32, usize)> = tree.files.iter().enumerate().map(|(i, f)| (f.source.base, i)).collect();
    starts.sort();
    let modules = tree.files.iter().any(|f| {
        f.directives.iter().any(|d| {
            d.name == "load_module"
                || (d.name == "include" && d.args.first().is_some_and(|a| a.value.contains("modules")))
        })
    });
    let templated = tree.files.iter().any(|f| template::is_unknown(&f.source.text));
    let mut c = Checker { tree, version, modules, templated, out: Vec::new(), starts };
    for &m in &tree.mains {
        let top = tree.expanded(&tree.files[m].directives);
        let is_main = top.iter().any(|d| matches!(d.name.as_str(), "http" | "events" | "stream" | "mail"));
        let ctx = if is_main { Some(Ctx::Main) } else { c.guess(&top) };
        c.level(&top, ctx);
    }
    c.out
}

impl<'a> Checker<'a> {
    /// The context a fragment (a file nothing includes, with no `http {}`) is meant for: the
    /// first in which every directive it holds is allowed. `None`: contexts are not judged.
    fn guess(&self, top: &[&Directive]) -> Option<Ctx> {
        [Ctx::Http, Ctx::Server, Ctx::Location, Ctx::Main, Ctx::Upstream, Ctx::Stream, Ctx::StreamServer]
            .into_iter()
            .find(|ctx| {
                top.iter().all(|d| {
                    let e = entries(&d.name);
                    e.is_empty() || e.iter().any(|(m, _)| m & ctx.mask() != 0)
                })
            })
    }

    fn source(&self, span: Span) -> &'a Arc<SourceFile> {
        let i = match self.starts.binary_search(&(span.start, usize::MAX)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        &self.tree.files[self.starts[i].1].source
    }

    /// The span of the token that ends the directive (`;` or `{`): nginx names its line.
    fn terminator(&self, d: &Directive) -> Span {
        let sf = self.source(d.span);
        let text = sf.text.as_bytes();
        let after = d.args.last().map(|a| a.span.end).unwrap_or(d.name_span.end);
        let mut i = sf.local(after);
        let end = sf.local(d.span.end).min(text.len());
        while i < end {
            match text[i] {
                b'#' => {
                    while i < end && text[i] != b'\n' {
                        i += 1;
                    }
                }
                b';' | b'{' => return sf.span(i, i + 1),
                _ => i += 1,
            }
        }
        let e = sf.local(d.span.end).saturating_sub(1);
        sf.span(e, e + 1)
    }

    /// The span a finding points at: the part of the directive on the line nginx names (the
    /// whole directive when it is on one line), or `arg` when it is on that line.
    fn at(&self, d: &Directive, arg: Option<Span>) -> Span {
        let sf = self.source(d.span);
        let term = self.terminator(d);
        // Tokens at or after the start of the terminator's line are on it (one scan back, not a
        // line count per token: a line may hold a hundred thousand words).
        let t = sf.local(term.start);
        let line_start = sf.span(sf.text[..t].rfind('\n').map_or(0, |i| i + 1), t).start;
        if let Some(a) = arg {
            if a.start >= line_start {
                return a;
            }
        }
        let start = std::iter::once(d.name_span)
            .chain(d.args.iter().map(|a| a.span))
            .find(|s| s.start >= line_start)
            .unwrap_or(term);
        Span::new(start.start, term.end.max(start.end))
    }

    fn report(&mut self, d: &Directive, arg: Option<Span>, message: String, help: impl Into<String>) {
        let span = self.at(d, arg);
        self.out.push(Invalid { span, message, help: help.into(), warning: false });
    }

    fn level(&mut self, dirs: &[&'a Directive], ctx: Option<Ctx>) {
        let mut seen: FnvMap<&str, &Directive> = FnvMap::default();
        let mut locations: FnvMap<(bool, String), ()> = FnvMap::default();
        for &d in dirs {
            let Some(inf) = self.directive(d, ctx) else {
                continue;
            };
            // Duplicates nginx refuses.
            let name = d.name.as_str();
            if name == "root" || name == "alias" {
                if let Some(prev) = seen.get("root").or_else(|| seen.get("alias")) {
                    let msg = if prev.name == name {
                        format!("\"{name}\" directive is duplicate")
                    } else {
                        format!("\"{name}\" directive is duplicate, \"{}\" directive was specified earlier", prev.name)
                    };
                    self.report(d, None, msg, "a location has one root or alias: remove one of them");
                }
                seen.insert(if name == "root" { "root" } else { "alias" }, d);
                continue;
            }
            let single = inf.single;
            if single && ctx != Some(Ctx::Upstream) || (name == "keepalive" && ctx == Some(Ctx::Upstream)) {
                if seen.contains_key(name) {
                    self.report(
                        d,
                        None,
                        format!("\"{name}\" directive is duplicate"),
                        "nginx takes this directive once per block: remove one of them",
                    );
                } else {
                    seen.insert(name, d);
                }
            }
            if name == "location" && d.block.is_some() {
                if let Some(key) = location_key(d) {
                    if locations.insert(key, ()).is_some() {
                        let sf = self.source(d.span);
                        let term = self.terminator(d);
                        let line = sf.line_col(sf.local(term.start)).line;
                        let what = d.args.last().map(|a| a.value.clone()).unwrap_or_default();
                        let span = self.at(d, None);
                        self.out.push(Invalid {
                            span,
                            message: format!("duplicate location \"{what}\" in {}:{line}", sf.display),
                            help: "two locations match the same URI the same way: merge them".into(),
                            warning: false,
                        });
                    }
                }
            }
        }
        // A second `default_server` on one address (checked over the whole http block).
        if ctx == Some(Ctx::Http) {
            let mut defaults: FnvMap<String, ()> = FnvMap::default();
            for &s in dirs.iter().filter(|d| d.name == "server") {
                let mut here: FnvMap<String, ()> = FnvMap::default();
                for l in self.tree.expanded(s.children()) {
                    if l.name != "listen" {
                        continue;
                    }
                    if let Some(addr) = l.arg(0).and_then(listen_addr) {
                        if here.insert(addr.clone(), ()).is_some() {
                            self.report(
                                l,
                                None,
                                format!("a duplicate listen {addr}"),
                                "this server already listens on this address: remove one `listen`",
                            );
                            continue;
                        }
                    }

                    if l.name != "listen" || !l.args.iter().any(|a| a.value == "default_server" || a.value == "default")
                    {
                        continue;
                    }
                    let Some(addr) = l.arg(0).and_then(listen_addr) else { continue };
                    if defaults.insert(addr.clone(), ()).is_some() {
                        self.report(
                            l,
                            None,
                            format!("a duplicate default server for {addr}"),
                            "only one server per address can be its default_server",
                        );
                    }
                }
            }
        }
        for &d in dirs {
            if d.block.is_some() && matches!(d.name.as_str(), "map" | "geo" | "charset_map") {
                self.table_block(d);
            }
            if let (Some(ctx), Some(_)) = (ctx, &d.block) {
                if let Some(inner) = ctx.enter(&d.name) {
                    let children = self.tree.expanded(d.children());
                    self.level(&children, Some(inner));
                }
            } else if ctx.is_none() && d.block.is_some() {
                let children = self.tree.expanded(d.children());
                let inner = match d.name.as_str() {
                    "server" => Some(Ctx::Server),
                    "location" => Some(Ctx::Location),
                    "http" => Some(Ctx::Http),
                    _ => None,
                };
                if inner.is_some() {
                    self.level(&children, inner);
                }
            }
        }
    }

    /// Checks one directive; `false` when nothing more is to be said of it (unknown, templated).
    fn directive(&mut self, d: &'a Directive, ctx: Option<Ctx>) -> Option<&'static Info> {
        let name = d.name.as_str();
        if self.templated && template::is_unknown(name) {
            return None;
        }
        let Some(inf) = info(name) else {
            if third_party(name) {
                return None;
            }
            let help = match did_you_mean(name) {
                Some(n) => format!("did you mean `{n}`?"),
                None if self.modules => "not a directive of nginx nor of the modules stacklint knows; \
                                         it may come from a module this config loads"
                    .into(),
                None => "not a directive of nginx nor of the modules stacklint knows".into(),
            };
            let span = self.at(d, None);
            self.out.push(Invalid {
                span,
                message: format!("unknown directive \"{name}\""),
                help,
                warning: self.modules,
            });
            return None;
        };
        let all = inf.entries.as_slice();
        let version = self.version;
        let in_use = move |since: &Option<Version>| since.is_none_or(|s| s <= version);
        if !all.iter().any(|(_, since)| in_use(since)) {
            let first = all.iter().filter_map(|(_, s)| *s).min().expect("versioned");
            self.report(
                d,
                None,
                format!("unknown directive \"{name}\" (nginx {first} introduced it; the version in use is {version})"),
                format!("upgrade nginx to {first} or later, or set the version in use with --nginx-version / [versions] nginx"),
            );
            return None;
        }
        // The entries for this context (no allocation: this runs for every directive).
        let mut buf = [0u32; 8];
        let mut nm = 0;
        for (m, since) in all {
            if in_use(since) && ctx.is_none_or(|c| m & c.mask() != 0) && nm < buf.len() {
                buf[nm] = *m;
                nm += 1;
            }
        }
        let masks = &buf[..nm];
        if masks.is_empty() {
            let msg = format!("\"{name}\" directive is not allowed here");
            self.report(d, None, msg, "move it to a block where nginx allows it (see the module's documentation)");
            return None;
        }
        let n = d.args.len();
        let mut why = None;
        let mut ok = false;
        for &m in masks {
            if m & BLOCK == 0 && d.block.is_some() {
                why.get_or_insert(format!("directive \"{name}\" is not terminated by \";\""));
                continue;
            }
            if m & BLOCK != 0 && d.block.is_none() {
                why.get_or_insert(format!("directive \"{name}\" has no opening \"{{\""));
                continue;
            }
            let arity = if m & ANY != 0 {
                true
            } else if m & FLAG != 0 {
                n == 1
            } else if m & MORE1 != 0 {
                n >= 1
            } else if m & MORE2 != 0 {
                n >= 2
            } else if n > 7 {
                false
            } else {
                m & ARGS & (1 << n) != 0
            };
            if arity {
                ok = true;
                break;
            }
            why = Some(format!("invalid number of arguments in \"{name}\" directive"));
        }
        if !ok {
            let why = why.unwrap_or_default();
            let help = if why.starts_with("invalid number") {
                "check for a missing `;` on this or the line before, or an argument too many or too few"
            } else {
                "a block directive takes `{ ... }`, any other ends with `;`"
            };
            self.report(d, None, why, help);
            return None;
        }
        if self.templated && d.args.iter().any(|a| template::is_unknown(&a.value)) {
            return Some(inf);
        }
        self.values(d, masks, ctx, inf.kind);
        Some(inf)
    }

    fn values(&mut self, d: &'a Directive, masks: &[u32], ctx: Option<Ctx>, kind: u8) {
        let name = d.name.as_str();
        let Some(first) = d.args.first() else { return };
        let v = first.value.as_str();
        if masks.iter().all(|m| m & FLAG != 0) && d.args.len() == 1 {
            if !v.eq_ignore_ascii_case("on") && !v.eq_ignore_ascii_case("off") {
                self.report(
                    d,
                    Some(first.span),
                    format!("invalid value \"{v}\" in \"{name}\" directive, it must be \"on\" or \"off\""),
                    "write `on` or `off`",
                );
            }
            return;
        }
        if name == "if" {
            self.if_condition(d);
            return;
        }
        if v.contains('$') {
            return;
        }
        let invalid = |what: &str| format!("\"{name}\" directive {what}");
        if kind == 1 {
            let sec = SEC.contains(&name);
            let bad = d
                .args
                .iter()
                .take(if name == "keepalive_timeout" { 2 } else { 1 })
                .find(|a| !time_ok(&a.value, sec || (name == "keepalive_timeout" && !std::ptr::eq(*a, first))));
            if let Some(a) = bad {
                self.report(
                    d,
                    Some(a.span),
                    invalid("invalid value"),
                    "nginx times are whole numbers with units from most to least significant: `90s`, `1m30s`, `500ms`",
                );
            }
        } else if kind == 2 {
            if !size_ok(v, name == "client_max_body_size" || name.ends_with("max_temp_file_size")) {
                self.report(
                    d,
                    Some(first.span),
                    invalid("invalid value"),
                    "nginx sizes are whole numbers with an optional unit: `512`, `16k`, `8m`",
                );
            }
        } else if kind == 3 {
            if !v.bytes().all(|b| b.is_ascii_digit()) || v.is_empty() {
                self.report(d, Some(first.span), invalid("invalid number"), "write a whole number");
            }
        } else if let Some((_, values)) = ENUM.iter().find(|(n, _)| kind == 4 && *n == name) {
            let ok = values.iter().any(|x| x.eq_ignore_ascii_case(v));
            if !ok {
                self.report(
                    d,
                    Some(first.span),
                    format!("invalid value \"{v}\""),
                    format!("`{name}` takes one of: {}", values.join(", ")),
                );
            } else if name == "proxy_http_version" && v == "2" && self.version < Version(1, 29, 4) {
                self.report(
                    d,
                    Some(first.span),
                    format!(
                        "invalid value \"{v}\" (nginx 1.29.4 introduced it; the version in use is {})",
                        self.version
                    ),
                    "upgrade nginx to 1.29.4 or later, or proxy with HTTP/1.1",
                );
            }
        } else if let Some((_, values)) = BITMASK.iter().find(|(n, _)| kind == 5 && *n == name) {
            if let Some(a) = d.args.iter().find(|a| !values.iter().any(|x| x.eq_ignore_ascii_case(&a.value))) {
                self.report(
                    d,
                    Some(a.span),
                    format!("invalid value \"{}\"", a.value),
                    format!("`{name}` takes any of: {}", values.join(", ")),
                );
            }
        } else if name == "location" && d.args.len() == 2 && !matches!(v, "=" | "~" | "~*" | "^~") {
            self.report(
                d,
                Some(first.span),
                format!("invalid location modifier \"{v}\""),
                "a location modifier is one of =, ~, ~*, ^~",
            );
        } else if matches!(name, "add_header" | "add_trailer") && d.args.len() == 3 && d.args[2].value != "always" {
            let a = &d.args[2];
            self.report(
                d,
                Some(a.span),
                format!("invalid parameter \"{}\"", a.value),
                format!("`{name}` takes a name, a value and optionally `always`"),
            );
        } else if matches!(name, "fastcgi_param" | "uwsgi_param" | "scgi_param")
            && d.args.len() == 3
            && d.args[2].value != "if_not_empty"
        {
            let a = &d.args[2];
            self.report(
                d,
                Some(a.span),
                format!("invalid parameter \"{}\"", a.value),
                format!("`{name}` takes a name, a value and optionally `if_not_empty`"),
            );
        } else if name == "rewrite"
            && d.args.len() == 3
            && !matches!(d.args[2].value.as_str(), "last" | "break" | "redirect" | "permanent")
        {
            let a = &d.args[2];
            self.report(
                d,
                Some(a.span),
                format!("invalid parameter \"{}\"", a.value),
                "`rewrite` takes a regex, a replacement and optionally last, break, redirect or permanent",
            );
        } else if name == "listen" {
            self.listen(d, ctx);
        } else if name == "server" && matches!(ctx, Some(Ctx::Upstream | Ctx::StreamUpstream)) {
            self.upstream_server(d);
        }
    }

    /// The entries of `map`, `geo` and `charset_map` blocks: a key and one value each.
    fn table_block(&mut self, block: &'a Directive) {
        for e in self.tree.expanded(block.children()) {
            if e.block.is_some()
                || template::is_unknown(&e.name)
                || e.args.iter().any(|a| template::is_unknown(&a.value))
            {
                continue;
            }
            let n = e.args.len();
            let msg = match block.name.as_str() {
                "map" if n != 1 && !(n == 0 && matches!(e.name.as_str(), "hostnames" | "volatile")) => {
                    "invalid number of the map parameters"
                }
                "geo" if n != 1 && !(n == 0 && matches!(e.name.as_str(), "ranges" | "proxy_recursive")) => {
                    "invalid number of the geo parameters"
                }
                "charset_map" if n != 1 => "invalid parameters number",
                _ => continue,
            };
            let help = format!("each entry of a `{}` block is a key and one value, ended by `;`", block.name);
            self.report(e, None, msg.to_string(), help);
        }
    }

    /// `if (...)`: nginx's condition syntax (`ngx_http_rewrite_if_condition`).
    fn if_condition(&mut self, d: &'a Directive) {
        let a = &d.args;
        let mut vals: Vec<&str> = a.iter().map(|x| x.value.as_str()).collect();
        let bad = |i: usize| (format!("invalid condition \"{}\"", vals_at(a, i)), a[i].span);
        fn vals_at(a: &[super::ast::Arg], i: usize) -> String {
            a[i].value.clone()
        }
        let (msg, span) = 'check: {
            if !vals[0].starts_with('(') {
                break 'check bad(0);
            }
            let mut cur = 0;
            if vals[0].len() == 1 {
                cur = 1;
            } else {
                vals[0] = &vals[0][1..];
            }
            let mut last = vals.len() - 1;
            if !vals[last].ends_with(')') {
                break 'check bad(last);
            }
            if vals[last].len() == 1 {
                if last == 0 {
                    return;
                }
                last -= 1;
            } else {
                let l = vals[last];
                vals[last] = &l[..l.len() - 1];
            }
            if cur > last {
                return;
            }
            let p = vals[cur];
            let cond = |s: &str| format!("invalid condition \"{s}\"");
            if p.len() > 1 && p.starts_with('$') {
                if cur != last && cur + 2 != last {
                    break 'check (cond(p), a[cur].span);
                }
                if cur == last {
                    return;
                }
                let op = vals[cur + 1];
                if matches!(op, "=" | "!=" | "~" | "~*" | "!~" | "!~*") {
                    return;
                }
                break 'check (format!("unexpected \"{op}\" in condition"), a[cur + 1].span);
            } else if (p.len() == 2 && p.starts_with('-')) || (p.len() == 3 && p.starts_with("!-")) {
                if cur + 1 != last || !matches!(p.chars().last(), Some('f' | 'd' | 'e' | 'x')) {
                    break 'check (cond(p), a[cur].span);
                }
                return;
            } else {
                break 'check (cond(p), a[cur].span);
            }
        };
        self.report(
            d,
            Some(span),
            msg,
            "nginx conditions are `($var)`, `($var = value)`, `($var ~ regex)`, `(-f $path)`",
        );
    }

    fn listen(&mut self, d: &'a Directive, ctx: Option<Ctx>) {
        const PARAMS: &[&str] = &[
            "default_server",
            "default",
            "ssl",
            "http2",
            "proxy_protocol",
            "deferred",
            "bind",
            "reuseport",
            "quic",
            "multipath",
        ];
        const KEYED: &[&str] =
            &["ipv6only=", "backlog=", "rcvbuf=", "sndbuf=", "accept_filter=", "fastopen=", "so_keepalive=", "setfib="];
        let stream = matches!(ctx, Some(Ctx::StreamServer));
        for a in &d.args[1..] {
            let p = a.value.as_str();
            let known = PARAMS.contains(&p) || KEYED.iter().any(|k| p.starts_with(k)) || (stream && p == "udp");
            let too_new = p == "quic" && self.version < Version(1, 25, 0);
            if !known || too_new {
                self.report(
                    d,
                    Some(a.span),
                    format!("invalid parameter \"{p}\""),
                    "`listen` takes an address and parameters such as default_server, ssl, reuseport, backlog=N",
                );
                return;
            }
        }
    }

    fn upstream_server(&mut self, d: &'a Directive) {
        const PARAMS: &[&str] = &["backup", "down", "drain"];
        const KEYED: &[&str] =
            &["weight=", "max_fails=", "fail_timeout=", "max_conns=", "slow_start=", "route=", "service=", "id="];
        for a in &d.args[1..] {
            let p = a.value.as_str();
            let resolve = p == "resolve" || p.starts_with("service=");
            let known = PARAMS.contains(&p) || KEYED.iter().any(|k| p.starts_with(k)) || resolve;
            if !known || (resolve && self.version < Version(1, 27, 3)) {
                self.report(
                    d,
                    Some(a.span),
                    format!("invalid parameter \"{p}\""),
                    if resolve {
                        "`resolve` on an upstream server is in nginx 1.27.3 and later"
                    } else {
                        "an upstream `server` takes an address and weight=, max_fails=, fail_timeout=, backup, down, max_conns="
                    },
                );
                return;
            }
        }
    }
}

/// The key nginx compares locations by: (exact, name); regex and named locations are not
/// compared.
fn location_key(d: &Directive) -> Option<(bool, String)> {
    match d.args.iter().map(|a| a.value.as_str()).collect::<Vec<_>>().as_slice() {
        ["=", uri] => Some((true, uri.to_string())),
        ["^~", uri] => Some((false, uri.to_string())),
        [uri] if !uri.starts_with('@') && !uri.starts_with('~') && !uri.starts_with('=') => {
            Some((false, uri.to_string()))
        }
        _ => None,
    }
}

/// The address a `listen` binds, as nginx writes it (`0.0.0.0:80`, `[::]:443`): `None` for
/// names (resolved at start-up) and unix sockets.
fn listen_addr(a: &str) -> Option<String> {
    if a.starts_with("unix:") {
        return Some(a.to_string());
    }
    if a.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("0.0.0.0:{a}"));
    }
    if let Some(rest) = a.strip_prefix('[') {
        let (host, port) = rest.split_once(']')?;
        let port = port.strip_prefix(':').unwrap_or("80");
        let ip: std::net::Ipv6Addr = host.parse().ok()?;
        return Some(format!("[{ip}]:{port}"));
    }
    let (host, port) = a.rsplit_once(':').unwrap_or((a, "80"));
    let host = if host == "*" { "0.0.0.0" } else { host };
    let ip: std::net::Ipv4Addr = host.parse().ok()?;
    Some(format!("{ip}:{port}"))
}

/// For a file that does not parse: the directive errors nginx reports first, before it reaches
/// the syntax error (a dropped `}` makes nginx read the next block inside the open one and refuse
/// it there). Unknown directives in a file that loads modules are left out.
pub fn before_syntax_error(sf: &Arc<SourceFile>) -> Vec<crate::diag::LoadError> {
    let Some((file, at)) = super::parser::parse_partial(sf) else { return Vec::new() };
    let tree = Tree { files: vec![file], mains: vec![0], missing_includes: Vec::new() };
    let err_line = sf.line_col(at).line;
    // No version is assumed: directives of any version are known here.
    check_tree(&tree, Version(u32::MAX, 0, 0))
        .into_iter()
        .filter(|p| !p.warning && sf.line_col(sf.local(p.span.start)).line < err_line)
        .map(|p| {
            let mut e = crate::diag::LoadError::at(p.span, sf.display.clone(), p.message);
            e.help = Some(format!("{}; nginx -t stops here, before the syntax error at line {err_line}", p.help));
            e
        })
        .take(1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times() {
        assert!(size_ok("16k", false) && size_ok("8M", false) && size_ok("512", false));
        assert!(!size_ok("1.5m", false) && !size_ok("16kb", false) && !size_ok("1g", false));
        assert!(size_ok("1g", true));
        assert!(time_ok("1m30s", false) && time_ok("500ms", false) && !time_ok("500ms", true));
        assert!(!time_ok("30x", false) && !time_ok("1.5s", false));
    }

    #[test]
    fn did_you_mean_finds_typos() {
        assert_eq!(did_you_mean("proxy_pas"), Some("proxy_pass"));
        assert_eq!(did_you_mean("porxy_pass"), Some("proxy_pass"));
        assert_eq!(did_you_mean("server_nmae"), Some("server_name"));
        assert_eq!(did_you_mean("completely_unrelated_word"), None);
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(listen_addr("80").as_deref(), Some("0.0.0.0:80"));
        assert_eq!(listen_addr("*:8080").as_deref(), Some("0.0.0.0:8080"));
        assert_eq!(listen_addr("[::]:443").as_deref(), Some("[::]:443"));
        assert_eq!(listen_addr("127.0.0.1").as_deref(), Some("127.0.0.1:80"));
        assert_eq!(listen_addr("example.com:80"), None);
    }

    #[test]
    fn table_is_sorted_and_added_entries_are_new_or_extend() {
        assert!(DIRECTIVES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(table_len() > 650);
        assert!(third_party("content_by_lua_block") && third_party("more_set_headers") && !third_party("proxy_pass"));
    }
}
