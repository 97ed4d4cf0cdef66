//! gunicorn's own examples (fixtures/corpus/gunicorn, MIT): every file loads, every gunicorn
//! launch becomes one instance with the right config file, environment and values.

use stacklint::compose;
use stacklint::discover::{discover, Found, Kind};
use stacklint::graph::{Endpoint, Host, KeepAlive, StackBuilder};
use stacklint::gunicorn::{self, From};
use stacklint::launch::launches;
use std::path::PathBuf;

#[test]
fn corpus_loads_and_yields_the_expected_instances() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/gunicorn");
    let (ctx, mut found) = discover(std::slice::from_ref(&root)).unwrap();
    // discover only classifies `gunicorn*.py`; example_config.py is a gunicorn config under another
    // name (someone runs `gunicorn -c example_config.py`), so it is handed in as one.
    assert!(found.iter().all(|f| !f.path.ends_with("example_config.py")));
    let ex = root.join("examples/example_config.py");
    found.push(Found { display: ctx.display(&ex), path: ex, kind: Kind::Gunicorn });
    let (project, mut errs) = compose::load(&ctx, &found);
    assert_eq!(project.services.len(), 10);
    let (ls, e) = launches(&ctx, &found, &project);
    errs.extend(e);
    let (insts, e) = gunicorn::load(&ctx, &found, &ls);
    errs.extend(e);
    assert!(errs.is_empty(), "{:?}", errs.iter().map(|e| &e.message).collect::<Vec<_>>());

    let by = |needle: &str| {
        insts
            .iter()
            .find(|i| i.config.as_ref().is_some_and(|c| c.display.contains(needle)))
            .unwrap_or_else(|| panic!("no instance for {needle}"))
    };
    assert_eq!(insts.len(), 7, "{:?}", insts.iter().map(|i| i.name()).collect::<Vec<_>>());

    // example_config.py: nobody launches it; bind 127.0.0.1:8000, timeout 30, keepalive 2, sync.
    let ex = by("example_config.py");
    assert!(ex.launch.is_none());
    assert_eq!(ex.binds()[0].0, Endpoint::tcp(Host::Loopback, 8000));
    assert!(!ex.binds()[0].2);
    assert_eq!(ex.timeout.as_ref().unwrap().value, Some(30));
    assert_eq!(ex.keepalive.as_ref().unwrap().value, Some(2));
    assert_eq!(ex.worker_class().as_deref(), Some("sync"));
    assert_eq!(ex.raw_env.len(), 2);
    assert!(ex.invalid.is_empty());

    // celery_alternative: Dockerfile CMD for service `app`; GUNICORN_WORKERS=4 from compose/ENV.
    let c = by("celery_alternative");
    assert_eq!(c.service.as_deref(), Some("app"));
    assert_eq!(c.app.as_ref().unwrap().text, "app:app");
    assert_eq!(c.workers(), Some(4));
    assert_eq!(c.binds()[0].0, Endpoint::tcp(Host::Any, 8000));
    assert_eq!(c.bind[0].from, From::ConfigEnv { var: "GUNICORN_BIND".into(), set: true });
    assert_eq!(c.timeout().unwrap().ms, Some(120_000));
    assert_eq!(c.worker_class().as_deref(), Some("asgi"));

    // dirty_example: the compose `server` command names the config relative to the build context.
    let d = by("dirty_example");
    assert_eq!(d.service.as_deref(), Some("server"));
    assert_eq!(d.app.as_ref().unwrap().text, "examples.dirty_example.wsgi_app:app");
    assert_eq!(d.binds()[0].0, Endpoint::tcp(Host::Any, 8000), "GUNICORN_BIND from compose environment");
    assert_eq!(d.workers(), Some(2));

    // http2_gevent: gevent, keepalive 5, workers from compose's GUNICORN_WORKERS.
    let g = by("http2_gevent");
    assert_eq!(g.service.as_deref(), Some("gunicorn"));
    assert_eq!(g.binds()[0].0, Endpoint::tcp(Host::Any, 8443));
    assert_eq!(g.workers(), Some(4));
    assert_eq!(g.keepalive().unwrap().ms, Some(5_000));

    for (needle, svc, port) in [
        ("embedding_service", "embedding-service", 8000),
        ("http2_features", "http2-features", 8443),
        ("streaming_chat", "streaming-chat", 8000),
    ] {
        let i = by(needle);
        assert_eq!(i.service.as_deref(), Some(svc));
        assert_eq!(i.binds()[0].0, Endpoint::tcp(Host::Any, port));
        assert_eq!(i.timeout().unwrap().ms, Some(30_000));
        assert!(i.timeout().unwrap().origin.is_default());
    }

    let mut b = StackBuilder::new();
    gunicorn::model::add(&insts, &mut b);
    let st = b.link();
    assert_eq!(st.servers.len(), 7);
    let sync = st.servers.iter().filter(|s| matches!(s.keepalive, Some(KeepAlive::ClosesEach { .. }))).count();
    assert_eq!(sync, 2, "example_config.py and dirty_example are sync");
}
