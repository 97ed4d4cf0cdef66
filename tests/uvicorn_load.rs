//! uvicorn instances: every launch form with exact spans, `UVICORN_*` environment precedence,
//! `uvicorn.run(...)` in launched scripts, defaults, validation, graph model, garbage input.

use stacklint::compose;
use stacklint::discover::{discover, Ctx};
use stacklint::duration::Origin;
use stacklint::engine::{lint, Options};
use stacklint::graph::{Component, Endpoint, Host, KeepAlive, Role, StackBuilder};
use stacklint::launch::launches;
use stacklint::source::Span;
use stacklint::uvicorn::{self, defaults, From, Instance};
use std::path::Path;

fn load_dir(root: &Path) -> (Ctx, Vec<Instance>, Vec<String>) {
    let (ctx, found) = discover(&[root.to_path_buf()]).unwrap();
    let (project, mut errs) = compose::load(&ctx, &found);
    let (ls, e2) = launches(&ctx, &found, &project);
    errs.extend(e2);
    let (insts, e3) = uvicorn::load(&ctx, &ls);
    errs.extend(e3);
    (ctx, insts, errs.into_iter().map(|e| e.message).collect())
}

fn write(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, t) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    dir
}

fn load(files: &[(&str, &str)]) -> (tempfile::TempDir, Ctx, Vec<Instance>, Vec<String>) {
    let dir = write(files);
    let (ctx, i, e) = load_dir(dir.path());
    (dir, ctx, i, e)
}

fn slice(ctx: &Ctx, span: Span) -> String {
    ctx.all_files
        .iter()
        .filter_map(|p| ctx.map.get_by_path(p))
        .find(|f| f.contains(span))
        .map(|f| f.slice(span).to_string())
        .unwrap_or_else(|| panic!("span {span:?} in no file"))
}

fn tcp(h: &str, p: u16) -> Endpoint {
    Endpoint::tcp(Host::parse(h), p)
}

/// The one instance, with the text at each setting's span.
fn one(files: &[(&str, &str)]) -> (tempfile::TempDir, Ctx, Instance) {
    let (d, ctx, mut insts, errs) = load(files);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(insts.len(), 1, "{insts:#?}");
    (d, ctx, insts.remove(0))
}

#[test]
fn every_launch_source_and_option_form_with_exact_spans() {
    let cases: &[(&str, &str)] = &[
        ("Procfile", "web: uvicorn main:app --host 0.0.0.0 --port 8001 --timeout-keep-alive 75\n"),
        ("Procfile", "web: exec python -m uvicorn main:app --host=0.0.0.0 --port=8001 --timeout-keep-alive=75\n"),
        (
            "app.service",
            "[Service]\nExecStart=/srv/venv/bin/uvicorn main:app \\\n  --host 0.0.0.0 \\\n  --port 8001 \\\n  --timeout-keep-alive 75\n",
        ),
        (
            "Dockerfile",
            "FROM python:3.12\nCMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8001\", \"--timeout-keep-alive\", \"75\"]\n",
        ),
        ("Dockerfile", "FROM python:3.12\nCMD uvicorn main:app --host 0.0.0.0 --port 8001 --timeout-keep-alive 75\n"),
        (
            "docker-compose.yml",
            "services:\n  api:\n    image: x\n    command: uvicorn main:app --host 0.0.0.0 --port 8001 --timeout-keep-alive 75\n",
        ),
        (
            "docker-compose.yml",
            "services:\n  api:\n    image: x\n    command: [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8001\", \"--timeout-keep-alive\", \"75\"]\n",
        ),
        (
            "docker-compose.yml",
            "services:\n  api:\n    image: x\n    command: sh -c \"alembic upgrade head && uv run uvicorn main:app --host 0.0.0.0 --port 8001 --timeout-keep-alive 75\"\n",
        ),
    ];
    for (name, text) in cases {
        let (_d, ctx, u) = one(&[(name, text)]);
        let what = format!("{name}: {text}");
        let app = u.app.as_ref().unwrap();
        assert_eq!((app.text.as_str(), slice(&ctx, app.span).as_str()), ("main:app", "main:app"), "{what}");
        let host = u.host.as_ref().unwrap();
        assert_eq!(host.value.as_deref(), Some("0.0.0.0"), "{what}");
        assert_eq!(slice(&ctx, host.span), "0.0.0.0", "{what}");
        let port = u.port.as_ref().unwrap();
        assert_eq!((port.value, slice(&ctx, port.span).as_str(), &port.from), (Some(8001), "8001", &From::CommandLine));
        let ka = u.timeout_keep_alive.as_ref().unwrap();
        assert_eq!((ka.value, slice(&ctx, ka.span).as_str()), (Some(75_000), "75"), "{what}");
        assert_eq!(u.listeners(), vec![(tcp("0.0.0.0", 8001), port.span, false)], "{what}");
        assert_eq!(u.keepalive().unwrap().ms, Some(75_000));
        assert!(u.invalid.is_empty(), "{what}: {:?}", u.invalid);
        assert_eq!(u.service.is_some(), *name == "docker-compose.yml", "{what}");
    }
}

#[test]
fn uds_and_fd() {
    let (_d, ctx, u) = one(&[("Procfile", "web: uvicorn main:app --uds /run/app/api.sock --workers 3\n")]);
    let uds = u.uds.as_ref().unwrap();
    assert_eq!(slice(&ctx, uds.span), "/run/app/api.sock");
    assert_eq!(u.listeners(), vec![(Endpoint::Unix("/run/app/api.sock".into()), uds.span, false)]);
    assert_eq!(u.workers(), Some(3));

    // `--fd` wins over `--uds` and host/port (uvicorn Server.startup).
    let (_d, ctx, u) = one(&[("Procfile", "web: uvicorn main:app --fd 3 --uds /run/a.sock --port 9\n")]);
    let ls = u.listeners();
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0].0, Endpoint::Fd("3".into()));
    assert_eq!(slice(&ctx, ls[0].1), "3");
}

#[test]
fn defaults_name_their_source() {
    let (_d, ctx, u) = one(&[("Procfile", "web: uvicorn main:app\n")]);
    let ls = u.listeners();
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0].0, tcp(defaults::DEFAULT_HOST, defaults::DEFAULT_PORT));
    assert_eq!(ls[0].0, tcp("127.0.0.1", 8000));
    assert!(ls[0].2, "default listener");
    assert_eq!(slice(&ctx, ls[0].1), "uvicorn main:app");
    let ka = u.keepalive().unwrap();
    assert_eq!(ka.ms, Some(5_000));
    match ka.origin {
        Origin::Default(f) => {
            assert_eq!((f.component, f.setting), ("uvicorn", "timeout_keep_alive"));
            assert!(f.source.contains("uvicorn/config.py") && f.source.contains("main.py"));
            assert!(f.versions.contains("0.35.0"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(u.workers(), Some(1));
    // Only the host written: the default port, pointing at the host.
    let (_d, ctx, u) = one(&[("Procfile", "web: uvicorn main:app --host 0.0.0.0\n")]);
    let ls = u.listeners();
    assert_eq!((ls[0].0.clone(), slice(&ctx, ls[0].1).as_str(), ls[0].2), (tcp("0.0.0.0", 8000), "0.0.0.0", false));
}

#[test]
fn environment_precedence() {
    // UVICORN_* fill options the command line leaves out; the command line wins.
    let unit = "[Service]\nEnvironment=UVICORN_PORT=9001 UVICORN_HOST=0.0.0.0 UVICORN_TIMEOUT_KEEP_ALIVE=30 UVICORN_UDS=\nEnvironment=WEB_CONCURRENCY=4\nExecStart=/usr/bin/uvicorn main:app --port 9002\n";
    let (_d, ctx, u) = one(&[("app.service", unit)]);
    let port = u.port.as_ref().unwrap();
    assert_eq!((port.value, &port.from, slice(&ctx, port.span).as_str()), (Some(9002), &From::CommandLine, "9002"));
    let host = u.host.as_ref().unwrap();
    assert_eq!((host.from.clone(), slice(&ctx, host.span)), (From::Env("UVICORN_HOST".into()), "0.0.0.0".into()));
    let ka = u.timeout_keep_alive.as_ref().unwrap();
    assert_eq!((ka.value, slice(&ctx, ka.span).as_str()), (Some(30_000), "30"));
    assert!(u.uds.is_none(), "click ignores an empty variable");
    assert_eq!(u.workers(), Some(4), "WEB_CONCURRENCY");
    assert_eq!(u.listeners()[0].0, tcp("0.0.0.0", 9002));

    // Compose environment + Dockerfile ENV; `python -m uvicorn`.
    let (_d, ctx, u) = one(&[
        ("Dockerfile", "FROM python\nENV UVICORN_PORT=7000\nCMD [\"python\", \"-m\", \"uvicorn\", \"main:app\"]\n"),
        (
            "docker-compose.yml",
            "services:\n  api:\n    build: .\n    environment:\n      UVICORN_TIMEOUT_KEEP_ALIVE: \"90\"\n",
        ),
    ]);
    assert_eq!(u.port.as_ref().unwrap().value, Some(7000));
    assert_eq!(slice(&ctx, u.port.as_ref().unwrap().span), "7000");
    assert_eq!(u.timeout_keep_alive.as_ref().unwrap().value, Some(90_000));
    assert_eq!(slice(&ctx, u.timeout_keep_alive.as_ref().unwrap().span), "90");
    assert_eq!(u.service.as_deref(), Some("api"));

    // PORT is not read by uvicorn.
    let (_d, _ctx, u) = one(&[("Procfile", "web: PORT=9000 uvicorn main:app\n")]);
    assert!(u.port.is_none());
    assert_eq!(u.listeners()[0].0, tcp("127.0.0.1", 8000));
    assert!(u.notes.iter().any(|n| n.contains("does not read PORT")), "{:?}", u.notes);

    // UVICORN_APP stands in for the positional argument.
    let (_d, _ctx, u) = one(&[("Procfile", "web: UVICORN_APP=svc:app uvicorn --port 1234\n")]);
    assert_eq!(u.app.as_ref().unwrap().text, "svc:app");
}

#[test]
fn run_time_values_are_unknown_not_wrong() {
    let (_d, _ctx, u) =
        one(&[("Procfile", "web: uvicorn main:app --host 0.0.0.0 --port $PORT --timeout-keep-alive ${KA}\n")]);
    assert!(u.invalid.is_empty(), "{:?}", u.invalid);
    assert_eq!(u.port.as_ref().unwrap().value, None);
    assert!(u.listeners().is_empty());
    assert_eq!(u.keepalive(), None);
}

#[test]
fn invalid_values() {
    let unit = "[Service]\nEnvironment=UVICORN_WORKERS=four\nExecStart=/usr/bin/uvicorn main:app \\\n  --port abc \\\n  --timeout-keep-alive 5s \\\n  --fd x\n";
    let (_d, ctx, u) = one(&[("app.service", unit)]);
    let got: Vec<(String, String)> = u.invalid.iter().map(|(s, m)| (slice(&ctx, *s), m.clone())).collect();
    let texts: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(texts, ["abc", "x", "four", "5s"], "{got:?}");
    assert!(got[0].1.contains("--port") && got[0].1.contains("'abc' is not a valid integer"), "{got:?}");
    assert!(got[2].1.contains("UVICORN_WORKERS"), "{got:?}");
    assert!(got[3].1.contains("--timeout-keep-alive"), "{got:?}");
    assert_eq!(u.keepalive(), None);

    let (_d, _ctx, u) = one(&[("Procfile", "web: uvicorn main:app --port 70000\n")]);
    assert_eq!(u.invalid.len(), 1);
    assert!(u.invalid[0].1.contains("out of range"));
}

#[test]
fn invalid_values_become_sl401_findings() {
    let dir =
        write(&[("Procfile", "web: uvicorn main:app --port abc\nworker: uvicorn other:app --timeout-keep-alive 5s\n")]);
    let out = lint(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    let sl401: Vec<_> = out.findings.iter().filter(|f| f.code == "SL401").collect();
    assert_eq!(sl401.len(), 2, "{:#?}", out.findings);
    let texts: Vec<&str> = sl401.iter().map(|f| out.map.slice(f.anchor())).collect();
    assert_eq!(texts, ["abc", "5s"]);
    assert!(sl401.iter().all(|f| f.message.contains("uvicorn refuses to start")));
}

#[test]
fn run_call_in_a_launched_script() {
    let main = "import uvicorn\n\nif __name__ == \"__main__\":\n    uvicorn.run(\"main:app\", host=\"0.0.0.0\", port=8005, timeout_keep_alive=65)\n";
    let (_d, ctx, u) =
        one(&[("Procfile", "web: python main.py\n"), ("src/main.py", "uvicorn.run(nope)\n"), ("main.py", main)]);
    assert_eq!(u.script.as_deref().map(|s| s.ends_with("main.py")), Some(true));
    assert_eq!(slice(&ctx, u.span), "uvicorn.run(\"main:app\", host=\"0.0.0.0\", port=8005, timeout_keep_alive=65)");
    assert_eq!(u.app.as_ref().unwrap().value.as_deref(), Some("main:app"));
    let port = u.port.as_ref().unwrap();
    assert_eq!((port.value, &port.from, slice(&ctx, port.span).as_str()), (Some(8005), &From::RunCall, "8005"));
    assert_eq!(slice(&ctx, u.host.as_ref().unwrap().span), "0.0.0.0");
    assert_eq!(u.keepalive().unwrap().ms, Some(65_000));
    assert_eq!(u.listeners()[0].0, tcp("0.0.0.0", 8005));

    // A container path (`/app/main.py`) resolves to the tree's file; run() ignores UVICORN_* vars.
    let (_d, _ctx, u) = one(&[
        ("Dockerfile", "FROM python\nENV UVICORN_PORT=1\nCMD [\"python\", \"/app/main.py\"]\n"),
        ("main.py", "import uvicorn\nuvicorn.run(app, port=int(os.environ['P']), **extra)\n"),
    ]);
    assert_eq!(u.port.as_ref().unwrap().value, None, "run-time value");
    assert!(u.app.as_ref().unwrap().value.is_none());
    assert!(u.notes.iter().any(|n| n.contains("**kwargs")));
    assert!(u.invalid.is_empty());

    // A script without uvicorn.run, and scripts outside the tree: no instance.
    let (_d, _ctx, insts, errs) =
        load(&[("Procfile", "a: python manage.py runserver\nb: python /nowhere/x.py\n"), ("manage.py", "print(1)\n")]);
    assert!(insts.is_empty() && errs.is_empty());
}

#[test]
fn graph_model() {
    let (_d, _ctx, insts, _) = load(&[(
        "docker-compose.yml",
        "services:\n  api:\n    image: x\n    command: uvicorn main:app --host 0.0.0.0 --port 8000\n",
    )]);
    let mut b = StackBuilder::new();
    uvicorn::model::add(&insts, &mut b);
    let stack = b.link();
    assert_eq!(stack.servers.len(), 1);
    let s = &stack.servers[0];
    assert_eq!((s.component, s.role), (Component::Uvicorn, Role::App));
    assert_eq!(s.work_timeout, None, "uvicorn has no per-request timeout");
    assert!(s.notes.iter().any(|n| n.contains("no per-request timeout")));
    match &s.keepalive {
        Some(KeepAlive::Idle(t)) => assert_eq!(t.ms, Some(5_000)),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.aliases, ["api"]);
    assert_eq!(stack.listeners.len(), 1);
    assert_eq!(stack.listeners[0].endpoint, tcp("0.0.0.0", 8000));
    assert!(s.name.starts_with("uvicorn main:app"));
}

#[test]
fn gunicorn_uvicorn_worker_uses_gunicorn_keepalive() {
    for class in ["uvicorn.workers.UvicornWorker", "uvicorn_worker.UvicornWorker"] {
        let dir = write(&[("Procfile", &format!("web: gunicorn -k {class} main:app\n") as &str)]);
        let out = lint(&[dir.path().to_path_buf()], &Options::default()).unwrap();
        assert!(out.stack.servers.iter().all(|s| s.component != Component::Uvicorn), "a gunicorn instance");
        let g = out.stack.servers.iter().find(|s| s.component == Component::Gunicorn).unwrap();
        match &g.keepalive {
            Some(KeepAlive::Idle(t)) => assert_eq!(t.ms, Some(2_000), "gunicorn keepalive default, not uvicorn's 5 s"),
            other => panic!("{other:?}"),
        }
        assert!(
            g.notes.iter().any(|n| n.contains("timeout_keep_alive is gunicorn's keepalive (2 s)")),
            "{:?}",
            g.notes
        );
    }
}

#[test]
fn garbage_never_panics() {
    let junk = [
        "web: uvicorn\n",
        "web: uvicorn --port\n",
        "web: uvicorn --port=\n",
        "web: uvicorn -- --port 1\n",
        "web: uvicorn --timeout-keep-alive -1 --port -5 --fd -1 --workers -2\n",
        "web: uvicorn --host '' --port ' 8_000 '\n",
        "web: uvicorn \"unterminated --port 1\n",
        "web: python\nweb2: python -m\nweb3: python -u\nweb4: python main.py\n",
        "web: uvicorn ünïcödé:app --host=ü --port=８０００\n",
    ];
    for p in junk {
        let (_d, _ctx, insts, _) = load(&[("Procfile", p)]);
        for u in &insts {
            let _ = (u.listeners(), u.keepalive(), u.workers(), u.name());
        }
    }
    let scripts = [
        "uvicorn.run(",
        "uvicorn.run(port=",
        "uvicorn.run(port='",
        "uvicorn.run(port=\"\"\"",
        "uvicorn.run(port=1e999, timeout_keep_alive=1e999, host=3)",
        "uvicorn.run(port=-1, timeout_keep_alive=-2.5, fd=None, uds=None)",
        "uvicorn.run(((((",
        "x = '''uvicorn.run(port=1)'''\n# uvicorn.run(\n",
        "uvicorn.run(port=0)",
        "\u{feff}uvicorn.run(ü=1, port=0x1F90)",
    ];
    for s in scripts {
        let (_d, _ctx, insts, _) = load(&[("Procfile", "web: python main.py\n"), ("main.py", s)]);
        for u in &insts {
            let _ = (u.listeners(), u.keepalive(), u.workers(), u.name());
        }
    }
    // The literal reader: 0x1F90 is 8080.
    let (_d, _ctx, insts, _) =
        load(&[("Procfile", "web: python main.py\n"), ("main.py", "uvicorn.run(a, port=0x1F90)")]);
    assert_eq!(insts[0].port.as_ref().unwrap().value, Some(8080));
}
