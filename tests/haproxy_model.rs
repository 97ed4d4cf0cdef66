//! The HAProxy model on its own, and HAProxy as caller and callee of stand-in servers (what the
//! nginx and gunicorn modules will add once merged), so the cross-layer rules can be checked on
//! this branch.

use stacklint::discover::{self, Found, Kind};
use stacklint::duration::{Origin, Timeout};
use stacklint::graph::{Component, Endpoint, HopTarget, Host, KeepAlive, Role, Server, Stack, StackBuilder};
use stacklint::haproxy;
use std::path::PathBuf;

/// Loads `text` as `haproxy.cfg` in a temp dir; `extra` adds stand-in servers before linking.
fn stack(text: &str, extra: impl FnOnce(&mut StackBuilder)) -> Stack {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("haproxy.cfg");
    std::fs::write(&p, text).unwrap();
    let (ctx, _) = discover::discover(&[dir.path().to_path_buf()]).unwrap();
    let found = vec![Found { path: p, display: "haproxy.cfg".into(), kind: Kind::Haproxy }];
    let (cfg, errors) = haproxy::load(&ctx, &found);
    assert!(errors.is_empty(), "{errors:?}");
    let mut b = StackBuilder::new();
    haproxy::model::add(&cfg, &mut b);
    extra(&mut b);
    b.link()
}

/// A gunicorn-like app server at 127.0.0.1:`port` with a processing timeout and keep-alive.
fn app(b: &mut StackBuilder, port: u16, work_s: u64, keepalive_s: Option<u64>) {
    let d = |ms| Timeout { ms: Some(ms), origin: Origin::Declared { what: "test".into(), span: None } };
    let sid = b.add_server(Server {
        component: Component::Gunicorn,
        role: Role::App,
        name: "app".into(),
        span: Default::default(),
        listeners: Vec::new(),
        work_timeout: Some(d(work_s * 1000)),
        keepalive: keepalive_s.map(|k| KeepAlive::Idle(d(k * 1000))),
        aliases: Vec::new(),
        notes: Vec::new(),
    });
    b.add_listener(sid, Endpoint::tcp(Host::Loopback, port), Default::default(), false);
}

fn codes(s: &Stack) -> Vec<&'static str> {
    let mut v: Vec<_> = stacklint::rules::run(s).iter().map(|f| f.code).collect();
    v.sort();
    v
}

const DEF: &str = "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n";

#[test]
fn routes_timeouts_and_inheritance() {
    let s = stack(
        "defaults base\n  mode http\n  timeout connect 4s\n  timeout client 40s\n  timeout server 30s\n\
         defaults web from base\n  timeout http-request 10s\n\
         frontend www from web\n  bind :80,:81\n  bind 127.0.0.1:9000-9002\n  use_backend api if { path_beg /api }\n  default_backend app\n\
         backend api from web\n  timeout server 90s\n  server a 10.0.0.1:8000\n\
         backend app from web\n  server b 10.0.0.2:8000 backup\n\
         listen stats from base\n  bind :9999\n  server s 10.0.0.3:80\n",
        |_| {},
    );
    let fe = &s.servers[0];
    assert_eq!(fe.listeners.len(), 5);
    // keep-alive: http-keep-alive unset -> http-request (inherited from `web`)
    match &fe.keepalive {
        Some(KeepAlive::Idle(t)) => {
            assert_eq!(t.ms, Some(10_000));
            assert!(matches!(t.origin, Origin::Inherited(_)));
        }
        k => panic!("{k:?}"),
    }
    assert_eq!(fe.work_timeout.as_ref().unwrap().ms, Some(90_000));
    let r: Vec<_> = s.routes.iter().filter(|r| r.server == 0).collect();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].name, "frontend www (use_backend if { path_beg /api })");
    assert_eq!(r[0].hop.read_timeout.ms, Some(90_000));
    assert_eq!(r[1].hop.read_timeout.ms, Some(30_000));
    assert_eq!(r[1].hop.connect_timeout.as_ref().unwrap().ms, Some(4_000));
    assert!(matches!(r[1].hop.target, HopTarget::Group(_)));
    assert_eq!(r[1].hop.pool.as_ref().unwrap().idle.ms, Some(5_000));
    // listen section: its own server and its own group
    assert!(s.routes.iter().any(|r| r.name == "listen stats (its own servers)"));
    let g = s.groups.iter().find(|g| g.name == "app").unwrap();
    assert_eq!(g.targets[0].flags, ["backup"]);
}

#[test]
fn unset_timeouts_are_infinite_and_reported() {
    let s = stack(
        "defaults\n  mode http\nfrontend f\n  bind :80\n  default_backend b\nbackend b\n  server x 10.0.0.1:80\n",
        |_| {},
    );
    let r = &s.routes[0];
    assert_eq!(r.hop.read_timeout.ms, None);
    assert!(r.hop.read_timeout.origin.is_default());
    assert_eq!(codes(&s), ["SL403", "SL403"]);
}

#[test]
fn no_pool_when_connections_close_or_tcp() {
    for extra in ["  option http-server-close\n", "  option httpclose\n", "  http-reuse never\n", "  mode tcp\n"] {
        let s = stack(
            &format!("{DEF}  timeout server 30s\nfrontend f\n  bind :80\n  default_backend b\nbackend b\n{extra}  server x 10.0.0.1:80\n"),
            |_| {},
        );
        assert!(s.routes[0].hop.pool.is_none(), "{extra}");
    }
    // pool-purge-delay on the server line is the pool's idle time
    let s = stack(
        &format!("{DEF}  timeout server 30s\nfrontend f\n  bind :80\n  default_backend b\nbackend b\n  server x 10.0.0.1:80 pool-purge-delay 1s\n"),
        |_| {},
    );
    assert_eq!(s.routes[0].hop.pool.as_ref().unwrap().idle.ms, Some(1_000));
}

#[test]
fn haproxy_in_front_of_an_app_server() {
    let cfg = |server: &str, t: &str| {
        format!("{DEF}  timeout server {t}\nfrontend www\n  bind 192.0.2.10:8080\n  default_backend app\nbackend app\n  server app1 {server}\n")
    };
    // timeout-order: 30 s < 60 s
    let s = stack(&cfg("127.0.0.1:8000", "30s"), |b| app(b, 8000, 60, None));
    assert_eq!(codes(&s), ["SL101"]);
    // keepalive-race: HAProxy's pool (5 s purge) vs 2 s keep-alive
    let s = stack(&cfg("127.0.0.1:8000", "90s"), |b| app(b, 8000, 60, Some(2)));
    assert_eq!(codes(&s), ["SL201"]);
    // port-mismatch: wrong port, and no port at all (the client's port, 8080)
    let s = stack(&cfg("127.0.0.1:8001", "90s"), |b| app(b, 8000, 60, None));
    assert_eq!(codes(&s), ["SL302"]);
    let s = stack(&cfg("127.0.0.1", "90s"), |b| app(b, 8000, 60, None));
    assert_eq!(codes(&s), ["SL302"]);
    // all in order
    let s = stack(&cfg("127.0.0.1:8000", "90s"), |b| app(b, 8000, 60, Some(65)));
    assert!(codes(&s).is_empty());
}

#[test]
fn discovery() {
    let k = |name: &str, text: &'static str| discover::classify(&PathBuf::from(name), || Some(text.to_string()));
    assert_eq!(k("etc/haproxy.cfg", ""), Some(Kind::Haproxy));
    assert_eq!(k("etc/haproxy/10-web.cfg", ""), Some(Kind::Haproxy));
    assert_eq!(k("lb/x.cfg", "global\n  daemon\n"), Some(Kind::Haproxy));
    assert_eq!(k("lb/x.cfg", "[global]\nx=1\n"), None);
}
