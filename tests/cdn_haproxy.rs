//! HAProxy's access rules and `http-request set-src` as the graph's trust and access lists:
//! ACLs inline and from `-f` files (spans in the pattern file, never read outside the tree),
//! conditions (`if`/`unless`, `!`, `||`, anonymous ACLs, unknown ACLs), first match per phase,
//! rules after `set-src`, and the SL50x rules through HAProxy.

use stacklint::cdn::{self, trust::allowed};
use stacklint::graph::{AddrSpec, ProblemKind, Stack, Verdict};
use std::path::Path;

const DEF: &str = "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  timeout http-keep-alive 930s\n";

const CF_V4: &[&str] = &[
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
];
const CF_V6: &[&str] = &[
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
];

fn full_list() -> String {
    let mut s = String::from("# Cloudflare\n");
    for r in CF_V4.iter().chain(CF_V6) {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// Writes `files` (path, text) under a temp dir and lints it.
fn lint(files: &[(&str, &str)]) -> (tempfile::TempDir, stacklint::engine::Outcome) {
    let d = tempfile::tempdir().unwrap();
    for (p, text) in files {
        let path = d.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let out = stacklint::engine::lint(&[d.path().to_path_buf()], &Default::default()).unwrap();
    (d, out)
}

fn cfg(frontend: &str) -> String {
    format!("{DEF}\nfrontend www\n  bind :80\n{frontend}  http-request return status 200\n")
}

fn codes(out: &stacklint::engine::Outcome) -> Vec<&'static str> {
    let mut v: Vec<_> = out.findings.iter().map(|f| f.code).collect();
    v.sort();
    v
}

fn net(s: &str) -> ipnet::IpNet {
    cdn::parse_net(s).unwrap()
}

fn admits(stack: &Stack, i: usize, addr: &str) -> bool {
    cdn::covered(&net(addr), &allowed(&stack.access[i]))
}

fn line_of(out: &stacklint::engine::Outcome, span: stacklint::source::Span) -> (String, usize) {
    let l = out.map.location(span).unwrap();
    (Path::new(&l.file).file_name().unwrap().to_string_lossy().into_owned(), l.line)
}

#[test]
fn acl_file_lock_down_and_set_src_with_spans_in_the_pattern_file() {
    let text = cfg("  acl from_cf src -f /etc/haproxy/cloudflare.lst\n  http-request deny unless from_cf\n  http-request set-src hdr(CF-Connecting-IP) if from_cf\n");
    let (_d, out) = lint(&[("etc/haproxy/haproxy.cfg", &text), ("etc/haproxy/cloudflare.lst", &full_list())]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let s = &out.stack;
    assert_eq!(s.access.len(), 1);
    let a = &s.access[0];
    assert!(!a.sees_client);
    assert_eq!(a.otherwise, Verdict::Allow);
    assert!(a.denial.starts_with("403"));
    // Allow each written range (spans in the list file), then refuse anything else.
    assert_eq!(a.rules.len(), 23);
    assert!(a.rules[..22].iter().all(|r| r.verdict == Verdict::Allow));
    assert_eq!(a.rules[22].verdict, Verdict::Deny);
    assert_eq!(a.rules[22].addr.spec, AddrSpec::All);
    assert_eq!(line_of(&out, a.rules[0].addr.span), ("cloudflare.lst".into(), 2));
    assert_eq!(line_of(&out, a.span), ("haproxy.cfg".into(), 11));
    assert!(admits(s, 0, "2400:cb00::1") && !admits(s, 0, "8.8.8.8"));
    // set-src: header and trusted peers.
    assert_eq!(s.trust.len(), 1);
    let t = &s.trust[0];
    assert_eq!(t.header.name, "CF-Connecting-IP");
    assert_eq!(t.from.len(), 22);
    assert_eq!(line_of(&out, t.from[21].span), ("cloudflare.lst".into(), 23));
    assert!(t.recursive.is_none());
    // The pattern file is listed as a HAProxy file.
    assert!(out.files.iter().any(|f| f.path.ends_with("cloudflare.lst") && f.kind.as_str() == "haproxy"));
}

#[test]
fn conditions_negation_or_anonymous_and_unknown_acls() {
    let text = cfg(concat!(
        "  acl from_cf src 173.245.48.0/20\n",
        "  acl from_cf src 2400:cb00::/32\n", // same name: ORed
        "  acl is_api path_beg /api\n",
        "  http-request deny if ! from_cf is_api\n", // depends on the path: refuses nobody surely
        "  http-request deny if !from_cf || is_api\n", // surely refuses everything but from_cf
        "  tcp-request connection reject if !{ src 10.0.0.0/255.0.0.0 } !LOCALHOST\n",
    ));
    let (_d, out) = lint(&[("haproxy.cfg", &text)]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let s = &out.stack;
    // tcp-request connection runs first, then http-request.
    assert_eq!(s.access.len(), 2, "{:#?}", s.access);
    assert!(s.access[0].scope.contains("tcp-request connection"));
    assert!(s.access[0].denial.contains("closed connection"));
    assert!(admits(s, 0, "10.1.2.3") && admits(s, 0, "127.0.0.1") && admits(s, 0, "::1"));
    assert!(!admits(s, 0, "11.0.0.1"));
    assert_eq!(line_of(&out, s.access[1].span).1, 14);
    assert!(admits(s, 1, "173.245.48.1") && admits(s, 1, "2400:cb00::1"));
    assert!(!admits(s, 1, "1.1.1.1"));
}

#[test]
fn allow_before_deny_first_match_and_rules_after_set_src_see_the_client() {
    let text = cfg(concat!(
        "  acl from_cf src 173.245.48.0/20\n",
        "  http-request allow if { src 192.0.2.0/24 }\n",
        "  http-request deny unless from_cf\n",
        "  http-request set-src hdr(CF-Connecting-IP) if from_cf\n",
        "  http-request deny if { src 198.51.100.7 }\n",
    ));
    let (_d, out) = lint(&[("haproxy.cfg", &text)]);
    let s = &out.stack;
    assert_eq!(s.access.len(), 2);
    // The earlier allow comes first in the list.
    assert_eq!(s.access[0].rules[0].verdict, Verdict::Allow);
    assert_eq!(s.access[0].rules[0].addr.text, "192.0.2.0/24");
    assert!(admits(s, 0, "192.0.2.9") && admits(s, 0, "173.245.48.9") && !admits(s, 0, "8.8.8.8"));
    assert!(!s.access[0].sees_client);
    // After set-src, `src` is the visitor's address.
    assert!(s.access[1].sees_client);
    assert!(!admits(s, 1, "198.51.100.7"));
    // The trust is narrowed to what gets past the lock-down and its own condition.
    assert_eq!(s.trust[0].from.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(), ["173.245.48.0/20"]);
}

#[test]
fn set_src_trusted_from_any_peer_unless_a_lock_down_comes_first() {
    let (_d, out) = lint(&[("haproxy.cfg", &cfg("  http-request set-src hdr_ip(X-Forwarded-For,-1)\n"))]);
    let t = &out.stack.trust[0];
    assert_eq!(t.header.name, "X-Forwarded-For");
    assert_eq!(t.from.len(), 1);
    assert_eq!(t.from[0].spec, AddrSpec::All);
    // A condition that does not look at the address trusts anyone too.
    let (_d, out) = lint(&[(
        "haproxy.cfg",
        &cfg("  http-request set-src req.hdr(CF-Connecting-IP) if { hdr(host) example.com }\n"),
    )]);
    assert_eq!(out.stack.trust[0].from[0].spec, AddrSpec::All);
    // A peer lock-down before it narrows it.
    let text = cfg("  acl from_cf src -f cf.lst\n  tcp-request connection reject unless from_cf\n  http-request set-src hdr(CF-Connecting-IP)\n");
    let (_d, out) = lint(&[("haproxy.cfg", &text), ("cf.lst", &full_list())]);
    let t = &out.stack.trust[0];
    assert_eq!(t.from.len(), 22);
    assert!(t.from.iter().all(|e| matches!(e.spec, AddrSpec::Net(_))));
    // Not a header: not a trust list.
    let (_d, out) = lint(&[("haproxy.cfg", &cfg("  http-request set-src src,ipmask(24)\n"))]);
    assert!(out.stack.trust.is_empty());
}

#[test]
fn missing_or_outside_pattern_file_is_sl303_and_the_rules_using_it_are_not_judged() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("cf.lst"), "1.2.3.4\n").unwrap();
    for path in ["/etc/haproxy/nope.lst".to_string(), outside.path().join("cf.lst").display().to_string()] {
        let text = cfg(&format!("  acl from_cf src -f {path}\n  http-request deny unless from_cf\n"));
        let (_d, out) = lint(&[("haproxy.cfg", &text), ("stacklint.toml", "edge = \"cloudflare\"\n")]);
        assert!(out.stack.access.is_empty(), "{path}");
        assert!(out.stack.problems.iter().any(|p| p.kind == ProblemKind::MissingInclude));
        assert_eq!(codes(&out), ["SL303"], "{path}");
        // Never read from outside the tree.
        assert!(out.map.files().iter().all(|f| !f.display.ends_with("cf.lst")), "{path}");
    }
    // A relative path through `..` that leaves the tree is not followed either.
    let text = cfg("  acl from_cf src -f ../cf.lst\n  http-request deny unless from_cf\n");
    let (_d, out) = lint(&[("haproxy.cfg", &text)]);
    assert_eq!(codes(&out), ["SL303"]);
}

#[test]
fn patterns_haproxy_rejects_are_sl401_at_their_line() {
    let list = "# ok\n  173.245.48.0/20\n\n1.2.3.4/33\n2400:cb00::/32 # cf\nlocalhost\n";
    let text = cfg("  acl from_cf src -f cf.lst\n  http-request deny unless from_cf\n");
    let (_d, out) = lint(&[("haproxy.cfg", &text), ("cf.lst", list)]);
    let bad: Vec<_> = out.findings.iter().filter(|f| f.code == "SL401").map(|f| line_of(&out, f.anchor())).collect();
    assert_eq!(bad, [("cf.lst".to_string(), 4), ("cf.lst".to_string(), 5)]);
    // HAProxy would not start: the lock-down is not judged.
    assert!(out.stack.access.is_empty());
}

#[test]
fn tcp_mode_frontend_ignores_http_request_rules() {
    let text = "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\nfrontend f\n  bind :80\n  http-request deny unless { src 10.0.0.0/8 }\n  tcp-request connection reject unless { src 10.0.0.0/8 }\n  default_backend b\nbackend b\n  server s 127.0.0.1:8000\n";
    let (_d, out) = lint(&[("haproxy.cfg", text)]);
    assert_eq!(out.stack.access.len(), 1);
    assert!(out.stack.access[0].scope.contains("tcp-request"));
}

#[test]
fn rules_fire_through_haproxy() {
    let toml = ("stacklint.toml", "edge = \"cloudflare\"\n");
    // IPv4-only list: SL501 on the lock-down and on the trust, naming the IPv6 ranges.
    let v4: String = CF_V4.iter().map(|r| format!("{r}\n")).collect();
    let text = cfg("  acl from_cf src -f /etc/haproxy/cloudflare.lst\n  http-request deny unless from_cf\n  http-request set-src hdr(CF-Connecting-IP) if from_cf\n");
    let (_d, out) = lint(&[("haproxy.cfg", &text), ("cloudflare.lst", &v4), toml]);
    assert_eq!(codes(&out), ["SL501", "SL501"]);
    assert!(out.findings.iter().all(|f| f.message.contains("2400:cb00::/32") && f.message.contains("no IPv6 range")));
    assert!(out.findings[0].help.contains("acl from_edge src"));
    // Unguarded set-src from X-Forwarded-For: SL502 (error) and SL503.
    let (_d, out) = lint(&[("haproxy.cfg", &cfg("  http-request set-src hdr(X-Forwarded-For)\n")), toml]);
    assert_eq!(codes(&out), ["SL502", "SL503"]);
    let sl503 = out.findings.iter().find(|f| f.code == "SL503").unwrap();
    assert!(sl503.help.contains("http-request set-src hdr(CF-Connecting-IP)"), "{}", sl503.help);
    assert!(!sl503.help.contains("real_ip"), "{}", sl503.help);
    // The withdrawn /12: SL504 once, at the list file's line, although two lists hold it.
    let old = full_list().replace("104.16.0.0/13\n", "104.16.0.0/12\n");
    let (_d, out) = lint(&[("haproxy.cfg", &text), ("cloudflare.lst", &old), toml]);
    assert_eq!(codes(&out), ["SL504"]);
    assert_eq!(line_of(&out, out.findings[0].anchor()), ("cloudflare.lst".into(), 13));
    // The full list: nothing.
    let (_d, out) = lint(&[("haproxy.cfg", &text), ("cloudflare.lst", &full_list()), toml]);
    assert!(codes(&out).is_empty(), "{:?}", out.findings.iter().map(|f| &f.message).collect::<Vec<_>>());
}
