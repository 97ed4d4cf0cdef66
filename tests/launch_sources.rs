//! Launch sources: systemd, Procfile, Dockerfile (shell/JSON, ENV), compose (string/list), with
//! exact spans.

use stacklint::compose;
use stacklint::discover::{discover, Ctx, Found, Kind};
use stacklint::launch::{launches, Launch};
use stacklint::source::Span;

fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Ctx, Vec<Found>) {
    let dir = tempfile::tempdir().unwrap();
    for (p, t) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    let (ctx, found) = discover(&[dir.path().to_path_buf()]).unwrap();
    (dir, ctx, found)
}

fn run(files: &[(&str, &str)]) -> (tempfile::TempDir, Ctx, Vec<Launch>, Vec<String>) {
    let (d, ctx, found) = tree(files);
    let (project, mut errs) = compose::load(&ctx, &found);
    let (ls, e2) = launches(&ctx, &found, &project);
    errs.extend(e2);
    let errs = errs.into_iter().map(|e| e.message).collect();
    (d, ctx, ls, errs)
}

fn slice(ctx: &Ctx, span: Span) -> String {
    ctx.all_files
        .iter()
        .filter_map(|p| ctx.map.get_by_path(p))
        .find(|f| f.contains(span))
        .map(|f| f.slice(span).to_string())
        .unwrap_or_else(|| panic!("span {span:?} in no file"))
}

fn argv(l: &Launch) -> Vec<&str> {
    l.argv.iter().map(|w| w.text.as_str()).collect()
}

fn assert_spans_exact(ctx: &Ctx, l: &Launch) {
    for w in &l.argv {
        assert_eq!(slice(ctx, w.span), w.text, "span of {:?}", w.text);
    }
}

#[test]
fn systemd_exec_start_with_prefix_continuation_and_environment() {
    let unit = "[Unit]\nDescription=app\n\n[Service]\nEnvironment=PORT=9000\nEnvironment=\"A=1\" \"B=two words\"\nExecStart=-/srv/venv/bin/gunicorn \\\n    --bind 127.0.0.1:9000 \\\n    app:app\n";
    let (_d, ctx, ls, errs) = run(&[("app.service", unit)]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(ls.len(), 1);
    let l = &ls[0];
    assert_eq!(argv(l), ["/srv/venv/bin/gunicorn", "--bind", "127.0.0.1:9000", "app:app"]);
    assert_eq!(l.program(), "gunicorn");
    assert_eq!(l.origin, Kind::Systemd);
    assert_spans_exact(&ctx, l);
    let env: Vec<(&str, &str)> = l.env.iter().map(|(k, w)| (k.as_str(), w.text.as_str())).collect();
    assert_eq!(env, [("PORT", "9000"), ("A", "1"), ("B", "two words")]);
    for (_, w) in &l.env {
        assert_eq!(slice(&ctx, w.span), w.text);
    }
    assert!(slice(&ctx, l.span).starts_with("/srv/venv/bin/gunicorn"));
    assert!(slice(&ctx, l.span).ends_with("app:app"));
}

#[test]
fn procfile_with_wrappers_and_chains() {
    let p = "release: python manage.py migrate\nweb: python manage.py migrate && exec poetry run gunicorn -w 3 app.wsgi\nworker: env FOO=1 python -m gunicorn app:x\n";
    let (_d, ctx, ls, errs) = run(&[("Procfile", p)]);
    assert!(errs.is_empty());
    let g: Vec<&Launch> = ls.iter().filter(|l| l.program() == "gunicorn").collect();
    assert_eq!(g.len(), 2);
    assert_eq!(argv(g[0]), ["gunicorn", "-w", "3", "app.wsgi"]);
    assert_eq!(argv(g[1]), ["gunicorn", "app:x"]);
    assert_eq!(g[1].env_var("FOO").unwrap().text, "1");
    assert_eq!(slice(&ctx, g[1].env_var("FOO").unwrap().span), "1");
    assert_spans_exact(&ctx, g[0]);
    assert_spans_exact(&ctx, g[1]);
    assert_eq!(slice(&ctx, g[0].span), "gunicorn -w 3 app.wsgi");
}

#[test]
fn dockerfile_json_form_and_env() {
    let df = "FROM python:3.12\nENV A=1 B=\"x y\"\nENV PORT 8080\nWORKDIR /app\nCMD [\"gunicorn\", \"-b\", \"0.0.0.0:8080\", \"app:app\"]\n";
    let (_d, ctx, ls, errs) = run(&[("Dockerfile", df)]);
    assert!(errs.is_empty());
    assert_eq!(ls.len(), 1);
    let l = &ls[0];
    assert_eq!(argv(l), ["gunicorn", "-b", "0.0.0.0:8080", "app:app"]);
    assert_spans_exact(&ctx, l);
    assert_eq!(l.env_var("A").unwrap().text, "1");
    assert_eq!(l.env_var("B").unwrap().text, "x y");
    assert_eq!(slice(&ctx, l.env_var("B").unwrap().span), "x y");
    assert_eq!(l.env_var("PORT").unwrap().text, "8080");
    assert_eq!(slice(&ctx, l.env_var("PORT").unwrap().span), "8080");
}

#[test]
fn dockerfile_shell_form_continuation_and_entrypoint() {
    let df = "FROM python\nCMD [\"old\"]\nENTRYPOINT [\"/docker-entrypoint.sh\"]\nCMD gunicorn \\\n  --workers 2 \\\n  --bind :8000 app:app\n";
    let (_d, ctx, ls, errs) = run(&[("Dockerfile", df)]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(ls.len(), 1);
    assert_eq!(argv(&ls[0]), ["gunicorn", "--workers", "2", "--bind", ":8000", "app:app"]);
    assert_spans_exact(&ctx, &ls[0]);

    let df2 = "FROM python\nENTRYPOINT [\"sh\", \"-c\", \"exec gunicorn -b 0.0.0.0:$PORT app:app\"]\n";
    let (_d, ctx, ls, _) = run(&[("Dockerfile", df2)]);
    assert_eq!(argv(&ls[0]), ["gunicorn", "-b", "0.0.0.0:$PORT", "app:app"]);
    assert_spans_exact(&ctx, &ls[0]);
}

#[test]
fn compose_string_and_list_commands_and_environment() {
    let yml = "services:\n  web:\n    build: .\n    command: gunicorn -b 0.0.0.0:8000 --timeout 60 app:app\n    environment:\n      WEB_CONCURRENCY: 3\n      GUNICORN_CMD_ARGS: \"--keep-alive 5\"\n  api:\n    image: x\n    command: [\"gunicorn\", \"--bind\", \"0.0.0.0:9000\", \"api:app\"]\n    environment:\n      - PORT=9000\n    ports:\n      - \"9000:9000\"\n  shell:\n    image: x\n    command: >\n      bash -c \"python manage.py migrate &&\n      gunicorn site.wsgi -b :7000\"\n";
    let df = "FROM python\nENV X=1\nCMD [\"python\", \"app.py\"]\n";
    let (_d, ctx, ls, errs) = run(&[("docker-compose.yml", yml), ("Dockerfile", df)]);
    assert!(errs.is_empty(), "{errs:?}");
    let g: Vec<&Launch> = ls.iter().filter(|l| l.program() == "gunicorn").collect();
    assert_eq!(g.len(), 3);
    let web = g.iter().find(|l| l.service.as_deref() == Some("web")).unwrap();
    assert_eq!(argv(web), ["gunicorn", "-b", "0.0.0.0:8000", "--timeout", "60", "app:app"]);
    assert_spans_exact(&ctx, web);
    assert_eq!(web.env_var("X").unwrap().text, "1", "Dockerfile ENV reaches the compose command");
    assert_eq!(web.env_var("WEB_CONCURRENCY").unwrap().text, "3");
    assert_eq!(slice(&ctx, web.env_var("WEB_CONCURRENCY").unwrap().span), "3");
    assert_eq!(slice(&ctx, web.env_var("GUNICORN_CMD_ARGS").unwrap().span), "--keep-alive 5");
    let api = g.iter().find(|l| l.service.as_deref() == Some("api")).unwrap();
    assert_eq!(argv(api), ["gunicorn", "--bind", "0.0.0.0:9000", "api:app"]);
    assert_spans_exact(&ctx, api);
    assert_eq!(slice(&ctx, api.env_var("PORT").unwrap().span), "9000");
    let sh = g.iter().find(|l| l.service.as_deref() == Some("shell")).unwrap();
    assert_eq!(argv(sh), ["gunicorn", "site.wsgi", "-b", ":7000"]);
    assert_spans_exact(&ctx, sh);
    assert_eq!(sh.origin, Kind::Compose);
    // The web service overrides the Dockerfile's CMD: no launch from the Dockerfile for it.
    assert!(ls.iter().all(|l| !(l.origin == Kind::Dockerfile && l.service.as_deref() == Some("web"))));
}

#[test]
fn compose_service_gets_its_dockerfile_cmd() {
    let yml = "services:\n  app:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile.prod\n    environment:\n      - GUNICORN_WORKERS=4\n";
    let df = "FROM python\nCMD gunicorn app:app\n";
    let (_d, _ctx, ls, errs) = run(&[("compose.yaml", yml), ("docker/Dockerfile.prod", df)]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0].service.as_deref(), Some("app"));
    assert_eq!(ls[0].origin, Kind::Dockerfile);
    assert_eq!(ls[0].env_var("GUNICORN_WORKERS").unwrap().text, "4");
    assert!(ls[0].dir.ends_with("docker"));
}

#[test]
fn compose_spans_and_ports() {
    let yml = "services:\n  web:\n    image: x\n    ports:\n      - \"8080:8000\"\n      - 9000\n";
    let (_d, ctx, found) = tree(&[("docker-compose.yml", yml)]);
    let (p, errs) = compose::load(&ctx, &found);
    assert!(errs.is_empty());
    let s = &p.services[0];
    assert_eq!(s.name, "web");
    assert_eq!(slice(&ctx, s.name_span), "web");
    assert_eq!(s.ports[0].target, Some(8000));
    assert_eq!(s.ports[0].published.as_deref(), Some("8080"));
    assert!(slice(&ctx, s.ports[0].span).contains("8080:8000"));
    assert_eq!(slice(&ctx, s.ports[1].span), "9000");
    assert_eq!(s.image.as_deref(), Some("x"));
}

#[test]
fn broken_inputs_give_clean_errors() {
    let (_d, _ctx, _ls, errs) = run(&[("docker-compose.yml", "services:\n  web: [unclosed\n  x: 1\n")]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("invalid YAML at line"), "{}", errs[0]);
    let (_d, _ctx, ls, errs) = run(&[("Dockerfile", "FROM x\nCMD gunicorn 'unterminated\n")]);
    assert!(ls.is_empty());
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("unterminated"), "{}", errs[0]);
    // Truncated or odd files never panic.
    for text in ["", "CMD", "CMD [", "ENV", "ENV A", "FROM\nCMD [\"gunicorn\",", "\\\n\\", "CMD [\"a\" \"b\"]"] {
        let _ = run(&[("Dockerfile", text)]);
    }
    for text in [
        "",
        ":",
        "services",
        "services: 3",
        "services:\n  a:\n    command: 5\n",
        "- a\n- b",
        "services:\n  a: {command: [1, {x: 2}], environment: [A]}",
    ] {
        let _ = run(&[("compose.yml", text)]);
    }
    for text in ["[Service]\nExecStart=", "[Service]\nExecStart=\"", "ExecStart=gunicorn", "[Service]\nExecStart=@"] {
        let _ = run(&[("a.service", text)]);
    }
    let _ = run(&[("Procfile", "web:\n: x\nweb: 'a\n")]);
}
