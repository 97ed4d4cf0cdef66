//! PHP-FPM and php.ini on their own: discovery, the Debian corpus, includes, `$pool`, spans,
//! and the graph with a hand-built nginx hop in front (the nginx parser lives on another branch).

use stacklint::discover::{self, Kind};
use stacklint::duration::{Origin, Timeout};
use stacklint::graph::{
    Component, Endpoint, Hop, HopTarget, Host, Protocol, Role, Route, Server, Stack, StackBuilder, Target,
};
use stacklint::phpfpm::{self, defaults, model};
use stacklint::source::{SourceMap, Span};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

struct Loaded {
    kinds: Vec<(String, Kind)>,
    cfg: phpfpm::Config,
    errors: Vec<stacklint::diag::LoadError>,
    map: SourceMap,
    stack: Stack,
}

/// Loads a tree; `nginx` adds a fake nginx file and a hand-built `fastcgi_pass` route to `target`
/// with read timeout `read_ms` (explicit).
fn load(dir: &Path, nginx: Option<(&str, u64)>) -> Loaded {
    let (ctx, found) = discover::discover(&[dir.to_path_buf()]).unwrap();
    let kinds = found.iter().map(|f| (f.display.clone(), f.kind)).collect();
    let (cfg, errors) = phpfpm::load(&ctx, &found);
    let mut b = StackBuilder::new();
    if let Some((target, read_ms)) = nginx {
        let text = format!(
            "location ~ \\.php$ {{\n    fastcgi_read_timeout {}s;\n    fastcgi_pass {target};\n}}\n",
            read_ms / 1000
        );
        let f = ctx.map.add(Path::new("/nginx-test.conf"), "nginx.conf".into(), text.clone().into_bytes());
        let at = |needle: &str| {
            let i = text.find(needle).unwrap();
            f.span(i, i + needle.len())
        };
        let sid = b.add_server(Server {
            component: Component::Nginx,
            role: Role::Proxy,
            name: "server (nginx.conf:1)".into(),
            span: at("location"),
            listeners: Vec::new(),
            work_timeout: None,
            keepalive: None,
            aliases: Vec::new(),
            notes: Vec::new(),
        });
        b.add_listener(sid, Endpoint::tcp(Host::Any, 80), at("location"), true);
        let pass = at(&format!("fastcgi_pass {target};"));
        let tspan = at(target);
        let endpoint = match target.strip_prefix("unix:") {
            Some(p) => Endpoint::Unix(p.into()),
            None => {
                let (h, p) = target.rsplit_once(':').unwrap();
                Endpoint::tcp(Host::parse(h), p.parse().unwrap())
            }
        };
        b.add_route(Route {
            server: sid,
            name: "location ~ \\.php$".into(),
            span: pass,
            hop: Hop {
                protocol: Protocol::FastCgi,
                span: pass,
                target_span: tspan,
                target_text: target.into(),
                target: HopTarget::Direct(Target::new(endpoint, tspan)),
                read_timeout: Timeout::explicit(Some(read_ms), at("fastcgi_read_timeout")),
                read_semantics: "between two successive reads",
                connect_timeout: None,
                pool: None,
                pool_defeated: Vec::new(),
            },
        });
    }
    model::add(&cfg, &mut b);
    let stack = b.link();
    Loaded { kinds, cfg, errors, map: ctx.map.freeze(), stack }
}

fn loc(map: &SourceMap, span: Span) -> String {
    let l = map.location(span).unwrap();
    format!("{}:{}", l.file, l.line)
}

#[test]
fn debian_corpus_parses_and_gives_the_www_pool() {
    let dir = fixture("fixtures/corpus/php-fpm");
    let l = load(&dir, None);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let kind_of = |suffix: &str| l.kinds.iter().find(|(p, _)| p.ends_with(suffix)).map(|(_, k)| *k);
    assert_eq!(kind_of("fpm/php-fpm.conf"), Some(Kind::PhpFpm));
    assert_eq!(kind_of("pool.d/www.conf"), Some(Kind::PhpFpm));
    assert_eq!(kind_of("fpm/php.ini"), Some(Kind::PhpIni));
    assert_eq!(kind_of("conf.d/10-opcache.ini"), Some(Kind::PhpIni));
    assert_eq!(kind_of("SOURCES"), None);
    // www.conf is included by php-fpm.conf: one configuration, one pool.
    assert_eq!(l.cfg.masters.len(), 1);
    assert!(l.cfg.masters[0].file.ends_with("php-fpm.conf"));
    let pools = model::pools(&l.cfg);
    assert_eq!(pools.len(), 1);
    let www = &pools[0];
    assert_eq!(www.name, "www");
    let listen = www.listen.as_ref().unwrap();
    assert_eq!(listen.endpoint, Endpoint::Unix("/run/php/php8.2-fpm.sock".into()));
    assert_eq!(l.map.slice(listen.span), "/run/php/php8.2-fpm.sock");
    assert_eq!(l.map.slice(www.header), "[www]");
    assert!(loc(&l.map, www.header).ends_with("pool.d/www.conf:4"));
    assert_eq!(www.max_children.map(|m| m.0), Some(5));
    assert_eq!(www.pm.as_ref().map(|p| p.0.as_str()), Some("dynamic"));
    // php.ini next to php-fpm.conf sets max_execution_time = 30 (CPU time): no wall-clock bound.
    assert_eq!(www.max_execution_time.secs, 30);
    assert!(matches!(&www.max_execution_time.from, model::MaxExecFrom::PhpIni(f) if f.ends_with("php.ini")));
    let met = l.map.slice(www.max_execution_time.span.unwrap());
    assert_eq!(met, "max_execution_time = 30");
    assert_eq!(www.work_timeout.ms, None);
    assert!(
        matches!(www.work_timeout.origin, Origin::Default(f) if std::ptr::eq(f, &defaults::REQUEST_TERMINATE_TIMEOUT_CPU_ONLY))
    );
    // The graph: one app server with its listener; nothing is wrong on its own.
    let s = &l.stack.servers[0];
    assert_eq!((s.component, s.role), (Component::PhpFpm, Role::App));
    assert!(s.name.starts_with("pool www ("), "{}", s.name);
    assert!(l.stack.problems.is_empty(), "{:?}", l.stack.problems);
    assert!(stacklint::rules::run(&l.stack).is_empty());
}

#[test]
fn every_corpus_ini_parses() {
    let dir = fixture("fixtures/corpus/php-fpm/etc/php/8.2/fpm/conf.d");
    let (ctx, found) = discover::discover(&[dir]).unwrap();
    assert_eq!(found.len(), 19);
    assert!(found.iter().all(|f| f.kind == Kind::PhpIni));
    let (cfg, errors) = phpfpm::load(&ctx, &found);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(cfg.files.len(), 19);
}

#[test]
fn absolute_include_found_with_leading_components_stripped() {
    let l = load(&fixture("fixtures/phpfpm/include-stripped"), None);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.cfg.masters.len(), 1, "pool files are included, not configurations");
    let pools = model::pools(&l.cfg);
    let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b"], "glob(3) order");
    // `$pool` expansion, and its span still covers the value as written.
    let a = &pools[0];
    let listen = a.listen.as_ref().unwrap();
    assert_eq!(listen.endpoint, Endpoint::Unix("/run/php/a.sock".into()));
    assert_eq!(l.map.slice(listen.span), "/run/php/$pool.sock");
    assert_eq!(a.work_timeout.ms, Some(120_000));
    assert_eq!(l.map.slice(a.work_timeout.origin.span().unwrap()), "request_terminate_timeout = 2m");
    assert_eq!(pools[1].listen.as_ref().unwrap().endpoint, Endpoint::tcp(Host::Loopback, 9001));
}

#[test]
fn relative_include_and_pool_overrides() {
    let l = load(&fixture("fixtures/phpfpm/relative-include"), None);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let pools = model::pools(&l.cfg);
    assert_eq!(pools.len(), 1);
    let app = &pools[0];
    assert_eq!(app.listen.as_ref().unwrap().endpoint, Endpoint::tcp(Host::Any, 9000));
    assert_eq!(app.allowed_clients.as_ref().unwrap().0, "127.0.0.1");
    assert_eq!(app.max_execution_time.secs, 10);
    assert_eq!(app.max_execution_time.from, model::MaxExecFrom::Pool("php_admin_value"));
    assert!(app.notes.iter().any(|n| n.contains("allowed_clients")));
    // The `.pool` file was pulled in by the include; the engine lists it as php-fpm.
    assert_eq!(l.cfg.files.len(), 2);
}

#[test]
fn unbounded_pool_behind_fastcgi_read_timeout_is_sl102() {
    let l = load(&fixture("fixtures/corpus/php-fpm"), Some(("unix:/run/php/php8.2-fpm.sock", 60_000)));
    let findings = stacklint::rules::run(&l.stack);
    let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["SL102"], "{findings:#?}");
    let f = &findings[0];
    let primary = f.labels.iter().find(|x| x.primary).unwrap();
    assert!(loc(&l.map, primary.span).ends_with("pool.d/www.conf:4"));
    assert!(f.message.contains("CPU time"), "{}", f.message);
    assert!(f.help.contains("request_terminate_timeout"), "{}", f.help);
    assert!(f.help.contains("55 s"), "{}", f.help);
    assert!(f.labels.iter().any(|x| l.map.slice(x.span) == "fastcgi_pass unix:/run/php/php8.2-fpm.sock;"));
}

#[test]
fn socket_typo_names_the_pool_listen() {
    let l = load(&fixture("fixtures/corpus/php-fpm"), Some(("unix:/run/php/php8.1-fpm.sock", 60_000)));
    let findings = stacklint::rules::run(&l.stack);
    let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["SL302"], "{findings:#?}");
    let f = &findings[0];
    assert!(f.message.contains("unix:/run/php/php8.2-fpm.sock"), "{}", f.message);
    let sliced: Vec<&str> = f.labels.iter().map(|x| l.map.slice(x.span)).collect();
    assert!(sliced.contains(&"unix:/run/php/php8.1-fpm.sock"), "{sliced:?}");
    assert!(sliced.contains(&"/run/php/php8.2-fpm.sock"), "{sliced:?}");
}

#[test]
fn read_timeout_shorter_than_request_terminate_is_sl101() {
    // Pool `a` terminates requests after 2 min; nginx waits 60 s.
    let l = load(&fixture("fixtures/phpfpm/include-stripped"), Some(("unix:/run/php/a.sock", 60_000)));
    let findings = stacklint::rules::run(&l.stack);
    let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["SL101"], "{findings:#?}");
    assert!(findings[0].labels.iter().any(|x| l.map.slice(x.span) == "request_terminate_timeout = 2m"));
    // And 150 s is fine.
    let l = load(&fixture("fixtures/phpfpm/include-stripped"), Some(("unix:/run/php/a.sock", 150_000)));
    assert!(stacklint::rules::run(&l.stack).is_empty());
}

#[test]
fn tcp_listen_all_addresses_is_reached_from_loopback() {
    let l = load(&fixture("fixtures/phpfpm/relative-include"), Some(("127.0.0.1:9000", 60_000)));
    let findings = stacklint::rules::run(&l.stack);
    // max_execution_time = 10 via php_admin_value does not bound wall-clock time: SL102.
    let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["SL102"], "{findings:#?}");
}

fn tmp_tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (p, text) in files {
        let path = d.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    d
}

#[test]
fn invalid_time_suffix_is_sl401_and_explicit_zero_is_sl102() {
    let d = tmp_tree(&[(
        "php-fpm.d/www.conf",
        "[www]\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 4\nrequest_terminate_timeout = 30x\n",
    )]);
    let l = load(d.path(), None);
    assert!(l.errors.is_empty());
    let f = stacklint::rules::run(&l.stack);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code, "SL401");
    assert!(f[0].message.contains("unknown suffix used in time value"));
    assert_eq!(l.map.slice(f[0].anchor()), "30x");

    let d = tmp_tree(&[(
        "php-fpm.d/www.conf",
        "[www]\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 4\nrequest_terminate_timeout = 0\n",
    )]);
    let l = load(d.path(), Some(("127.0.0.1:9000", 30_000)));
    let f = stacklint::rules::run(&l.stack);
    assert_eq!(f.iter().map(|x| x.code).collect::<Vec<_>>(), ["SL102"]);
    assert_eq!(l.map.slice(f[0].anchor()), "request_terminate_timeout = 0");
}

#[test]
fn hash_line_and_syntax_errors_are_load_errors_with_positions() {
    let d = tmp_tree(&[
        ("pool.d/a.conf", "[a]\nlisten = 9000\n# not a comment\npm = static\n"),
        ("pool.d/b.conf", "[b]\nlisten = 9001\nslowlog = /a=b\n"),
        ("php.ini", "[PHP]\n# ignored by php.ini\nmax_execution_time = 5\n"),
    ]);
    let l = load(d.path(), None);
    let mut msgs: Vec<String> = l.errors.iter().map(|e| e.message.clone()).collect();
    msgs.sort();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].contains("pool.d/a.conf:3:1: `# not a comment` has no `=`"), "{msgs:?}");
    assert!(msgs[1].contains("pool.d/b.conf:3:13: syntax error: unexpected `=`"), "{msgs:?}");
    // a.conf still loads (php-fpm would refuse it, but the pool is still worth linting).
    assert!(model::pools(&l.cfg).iter().any(|p| p.name == "a"));
}

#[test]
fn pool_without_listen_is_sl401() {
    let d = tmp_tree(&[("pool.d/x.conf", "[x]\npm = static\npm.max_children = 1\n")]);
    let l = load(d.path(), None);
    let f = stacklint::rules::run(&l.stack);
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("no `listen`"));
    assert_eq!(l.map.slice(f[0].anchor()), "[x]");
}

#[test]
fn unrelated_conf_and_ini_files_are_not_php() {
    assert_eq!(discover::classify(Path::new("/etc/php/8.2/fpm/conf.d/10-opcache.ini"), || None), Some(Kind::PhpIni));
    assert_eq!(discover::classify(Path::new("/srv/app/conf.d/settings.ini"), || None), None);
    assert_eq!(discover::classify(Path::new("/etc/php-fpm.d/www.conf"), || None), Some(Kind::PhpFpm));
    assert_eq!(
        discover::classify(Path::new("/etc/nginx/conf.d/www.conf"), || Some(
            "[www]\nlisten = /run/php.sock\npm = static\n".into()
        )),
        Some(Kind::PhpFpm)
    );
    assert_eq!(
        discover::classify(Path::new("/etc/nginx/conf.d/site.conf"), || Some("server {\n listen 80;\n}\n".into())),
        Some(Kind::Nginx)
    );
    assert_eq!(
        discover::classify(Path::new("/srv/x/app.conf"), || Some("[global]\ninclude = pools/*.pool\n".into())),
        Some(Kind::PhpFpm)
    );
}
