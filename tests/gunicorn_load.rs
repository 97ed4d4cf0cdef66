//! gunicorn instances: config files, command lines, precedence, defaults, validation, graph model.

use stacklint::compose;
use stacklint::discover::{discover, Ctx};
use stacklint::duration::Origin;
use stacklint::graph::{Endpoint, Host, KeepAlive, StackBuilder};
use stacklint::gunicorn::{self, From, Instance};
use stacklint::launch::launches;
use stacklint::source::Span;
use std::path::Path;

fn load_dir(root: &Path) -> (Ctx, Vec<Instance>, Vec<String>) {
    let (ctx, found) = discover(&[root.to_path_buf()]).unwrap();
    let (project, mut errs) = compose::load(&ctx, &found);
    let (ls, e2) = launches(&ctx, &found, &project);
    errs.extend(e2);
    let (insts, e3) = gunicorn::load(&ctx, &found, &ls);
    errs.extend(e3);
    (ctx, insts, errs.into_iter().map(|e| e.message).collect())
}

fn load(files: &[(&str, &str)]) -> (tempfile::TempDir, Ctx, Vec<Instance>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    for (p, t) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
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

#[test]
fn every_bind_form_in_a_config_file() {
    let conf = "bind = ['127.0.0.1:8000', ':9000', 'unix:/run/app.sock', 'fd://3', '[::1]:8001', 'web', 'tcp://10.1.2.3:81']\n";
    let (_d, ctx, insts, errs) = load(&[("gunicorn.conf.py", conf)]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(insts.len(), 1);
    let binds = insts[0].binds();
    let eps: Vec<Endpoint> = binds.iter().map(|b| b.0.clone()).collect();
    assert_eq!(
        eps,
        [
            tcp("127.0.0.1", 8000),
            tcp("0.0.0.0", 9000),
            Endpoint::Unix("/run/app.sock".into()),
            Endpoint::Fd("3".into()),
            tcp("::1", 8001),
            tcp("web", 8000),
            tcp("10.1.2.3", 81)
        ]
    );
    let texts: Vec<String> = binds.iter().map(|b| slice(&ctx, b.1)).collect();
    assert_eq!(
        texts,
        ["127.0.0.1:8000", ":9000", "unix:/run/app.sock", "fd://3", "[::1]:8001", "web", "tcp://10.1.2.3:81"]
    );
    assert!(binds.iter().all(|b| !b.2));
}

#[test]
fn defaults_are_filled_with_their_facts() {
    let (_d, ctx, insts, errs) = load(&[("Procfile", "web: gunicorn app:app\n")]);
    assert!(errs.is_empty());
    assert_eq!(insts.len(), 1);
    let i = &insts[0];
    assert_eq!(i.name(), "gunicorn app:app (Procfile)".replace("Procfile", &i.file));
    assert!(i.file.ends_with("Procfile"));
    let t = i.timeout().unwrap();
    assert_eq!(t.ms, Some(30_000));
    assert!(matches!(t.origin, Origin::Default(f) if f.setting == "timeout" && f.component == "gunicorn"));
    assert_eq!(i.keepalive().unwrap().ms, Some(2_000));
    assert_eq!(i.graceful_timeout().unwrap().ms, Some(30_000));
    assert_eq!(i.workers(), Some(1));
    assert_eq!(i.threads(), Some(1));
    assert_eq!(i.worker_class().as_deref(), Some("sync"));
    let b = i.binds();
    assert_eq!(b, vec![(tcp("127.0.0.1", 8000), i.span, true)]);
    assert_eq!(slice(&ctx, i.span), "gunicorn app:app");
}

#[test]
fn port_and_web_concurrency_from_env() {
    let unit = "[Service]\nEnvironment=PORT=5000 WEB_CONCURRENCY=4\nExecStart=/usr/bin/gunicorn app:app\n";
    let (_d, ctx, insts, _) = load(&[("app.service", unit)]);
    let i = &insts[0];
    let b = i.binds();
    assert_eq!(b[0].0, tcp("0.0.0.0", 5000));
    assert!(b[0].2);
    assert_eq!(slice(&ctx, b[0].1), "5000");
    assert_eq!(i.workers(), Some(4));
}

#[test]
fn precedence_env_config_cmd_args_cli() {
    let conf = "bind = '127.0.0.1:7000'\ntimeout = 100\nkeepalive = 10\nworkers = 5\ngraceful_timeout = 11\n";
    let yml = "services:\n  web:\n    image: x\n    command: gunicorn -c gunicorn.conf.py --timeout 200 app:app\n    environment:\n      PORT: \"4000\"\n      GUNICORN_CMD_ARGS: \"--timeout 150 --keep-alive 20 -b 0.0.0.0:6000\"\n";
    let (_d, ctx, insts, errs) = load(&[("gunicorn.conf.py", conf), ("docker-compose.yml", yml)]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(insts.len(), 1, "the config file used by a command line is not a second instance");
    let i = &insts[0];
    assert_eq!(i.service.as_deref(), Some("web"));
    let t = i.timeout.as_ref().unwrap();
    assert_eq!((t.value, &t.from), (Some(200), &From::CommandLine));
    assert_eq!(slice(&ctx, t.span), "200");
    let k = i.keepalive.as_ref().unwrap();
    assert_eq!((k.value, &k.from), (Some(20), &From::CmdArgsEnv));
    assert_eq!(slice(&ctx, k.span), "20");
    assert_eq!(i.bind.len(), 1);
    assert_eq!(i.bind[0].value, Some(tcp("0.0.0.0", 6000)));
    assert_eq!(i.bind[0].from, From::CmdArgsEnv);
    let w = i.workers.as_ref().unwrap();
    assert_eq!((w.value, &w.from), (Some(5), &From::ConfigFile));
    assert_eq!(slice(&ctx, w.span), "5");
    assert_eq!(i.graceful_timeout().unwrap().ms, Some(11_000));
    assert!(i.config.as_ref().unwrap().display.ends_with("gunicorn.conf.py"));
    assert_eq!(slice(&ctx, i.config.as_ref().unwrap().named_at.unwrap()), "gunicorn.conf.py");
    // The graph alias is the service name.
    let mut b = StackBuilder::new();
    gunicorn::model::add(&insts, &mut b);
    assert_eq!(b.stack.servers[0].aliases, ["web"]);
}

#[test]
fn implicit_config_in_the_launch_dir_and_orphans() {
    let (_d, _ctx, insts, errs) = load(&[
        ("app/gunicorn.conf.py", "timeout = 90\n"),
        ("app/Procfile", "web: gunicorn app:app\n"),
        (
            "other/gunicorn_prod.py",
            "import os\nbind = os.environ.get('BIND', 'unix:/run/x.sock')\ntimeout = int(os.environ.get('T', '45'))\n",
        ),
    ]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(insts.len(), 2);
    let cmd = insts.iter().find(|i| i.launch.is_some()).unwrap();
    assert_eq!(cmd.timeout().unwrap().ms, Some(90_000));
    let orphan = insts.iter().find(|i| i.launch.is_none()).unwrap();
    assert_eq!(orphan.binds()[0].0, Endpoint::Unix("/run/x.sock".into()));
    assert_eq!(orphan.bind[0].from, From::ConfigEnv { var: "BIND".into(), set: false });
    assert_eq!(orphan.timeout().unwrap().ms, Some(45_000));
    assert!(orphan.name().contains("gunicorn_prod.py"));
}

#[test]
fn config_env_lookups_use_the_launch_environment() {
    let conf =
        "import os\nbind = os.environ.get('GUNICORN_BIND', '127.0.0.1:8000')\nworkers = int(os.getenv('W', 2))\n";
    let df = "FROM python\nENV GUNICORN_BIND=0.0.0.0:9000\nENV W=7\nCMD [\"gunicorn\", \"-c\", \"gunicorn.conf.py\", \"app:app\"]\n";
    let (_d, _ctx, insts, errs) = load(&[("gunicorn.conf.py", conf), ("Dockerfile", df)]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(insts.len(), 1);
    assert_eq!(insts[0].binds()[0].0, tcp("0.0.0.0", 9000));
    assert_eq!(insts[0].bind[0].from, From::ConfigEnv { var: "GUNICORN_BIND".into(), set: true });
    assert_eq!(insts[0].workers(), Some(7));
}

#[test]
fn sync_closes_each_gthread_and_others_idle() {
    let cases = [
        ("", "sync"),
        ("threads = 4\n", "gthread"),
        ("worker_class = 'gevent'\nkeepalive = 75\n", "gevent"),
        ("worker_class = 'uvicorn.workers.UvicornWorker'\n", "uvicorn.workers.UvicornWorker"),
        ("worker_class = 'sync'\n", "sync"),
    ];
    for (conf, class) in cases {
        let (_d, _ctx, insts, _) = load(&[("gunicorn.conf.py", &format!("bind = ':8000'\n{conf}"))]);
        let mut b = StackBuilder::new();
        gunicorn::model::add(&insts, &mut b);
        let s = &b.stack.servers[0];
        assert_eq!(insts[0].worker_class().as_deref(), Some(class));
        match (class, s.keepalive.as_ref().unwrap()) {
            ("sync", KeepAlive::ClosesEach { why, .. }) => assert!(why.contains("sync worker")),
            ("gevent", KeepAlive::Idle(t)) => assert_eq!(t.ms, Some(75_000)),
            ("gthread" | "uvicorn.workers.UvicornWorker", KeepAlive::Idle(t)) => {
                assert_eq!(t.ms, Some(2_000));
                assert!(t.origin.is_default());
            }
            other => panic!("{other:?}"),
        }
        assert!(s.notes.iter().any(|n| n == &format!("worker class {class}")));
    }
}

#[test]
fn timeout_zero_is_no_limit_and_invalid_values_are_reported() {
    let (_d, ctx, insts, errs) =
        load(&[("gunicorn.conf.py", "timeout = 0\nkeepalive = '5s'\nworkers = -1\nbind = '1.2.3.4:http'\n")]);
    assert!(errs.is_empty(), "{errs:?}");
    let i = &insts[0];
    assert_eq!(i.timeout().unwrap().ms, None);
    let texts: Vec<String> = i.invalid.iter().map(|(s, _)| slice(&ctx, *s)).collect();
    assert_eq!(texts, ["'5s'", "-1", "'1.2.3.4:http'"]);
    assert!(i.invalid[0].1.contains("int()"));
    assert!(i.invalid[1].1.contains("positive"));
    let mut b = StackBuilder::new();
    gunicorn::model::add(&insts, &mut b);
    assert_eq!(b.stack.servers[0].work_timeout.as_ref().unwrap().ms, None);

    let (_d, _ctx, insts, _) = load(&[("Procfile", "web: gunicorn -t 30s -w 0x2 app:app\n")]);
    assert_eq!(insts[0].invalid.len(), 2, "{:?}", insts[0].invalid);
}

#[test]
fn model_listeners_and_names() {
    let (_d, ctx, insts, _) =
        load(&[("Procfile", "web: gunicorn --bind=unix:/tmp/g.sock -b 127.0.0.1 -t 60 proj.wsgi:application\n")]);
    let mut b = StackBuilder::new();
    gunicorn::model::add(&insts, &mut b);
    let st = b.link();
    let s = &st.servers[0];
    assert!(s.name.starts_with("gunicorn proj.wsgi:application ("));
    assert_eq!(s.work_timeout.as_ref().unwrap().ms, Some(60_000));
    assert_eq!(slice(&ctx, s.work_timeout.as_ref().unwrap().origin.span().unwrap()), "60");
    let ls: Vec<(Endpoint, String)> =
        s.listeners.iter().map(|&l| (st.listeners[l].endpoint.clone(), slice(&ctx, st.listeners[l].span))).collect();
    assert_eq!(
        ls,
        [
            (Endpoint::Unix("/tmp/g.sock".into()), "unix:/tmp/g.sock".into()),
            (tcp("127.0.0.1", 8000), "127.0.0.1".into())
        ]
    );
}

#[test]
fn python_config_module_and_missing_file_are_notes() {
    let (_d, _ctx, insts, errs) = load(&[(
        "Procfile",
        "a: gunicorn -c python:conf.gunicorn app:a\nb: gunicorn -c /etc/gunicorn/nowhere.py app:b\n",
    )]);
    assert!(errs.is_empty());
    assert_eq!(insts.len(), 2);
    assert!(insts[0].notes[0].contains("python:MODULE"));
    assert!(insts[1].notes[0].contains("not in the linted tree"));
}

#[test]
fn garbage_python_is_skipped_or_a_clean_error() {
    let (_d, _ctx, insts, errs) = load(&[(
        "gunicorn.conf.py",
        "import os\nworkers = multiprocessing.cpu_count() * 2 + 1\nif os.environ.get('X'):\n    timeout = 5\nelse:\n    timeout = 6\nclass A:\n    bind = 'x'\nmatch x:\n    case 1: pass\nkeepalive = 3 if x else 4\nbind = f'0.0.0.0:{port}'\n@@@ !!! ???\nthreads: int = 2\n",
    )]);
    assert!(errs.is_empty(), "{errs:?}");
    let i = &insts[0];
    assert_eq!(i.workers.as_ref().unwrap().value, None);
    assert!(i.timeout.is_none());
    assert_eq!(i.keepalive.as_ref().unwrap().value, None);
    assert_eq!(i.bind[0].value, None);
    assert_eq!(i.threads(), Some(2));
    assert!(i.invalid.is_empty());

    for bad in ["bind = '127.0.0.1:8000\n", "x = \"\"\"never closed\n", "workers = (1 + \n", "timeout = [1, 2)\n"] {
        let (_d, _ctx, _insts, errs) = load(&[("gunicorn.conf.py", bad)]);
        assert_eq!(errs.len(), 1, "{bad:?}");
        assert!(errs[0].contains("gunicorn.conf.py:"), "{}", errs[0]);
    }
    for odd in [
        "",
        "\\",
        "'",
        "(",
        ")",
        "x =",
        "= 1",
        "x = -",
        "x = os.environ.get(",
        "x = [1,,2]",
        "\u{feff}bind = 1",
        "x = 1 +* 2",
        "y = 0b102 + 09",
    ] {
        let _ = load(&[("gunicorn.conf.py", odd)]);
    }
}
