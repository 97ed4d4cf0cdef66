//! The nginx parser (syntax features, spans, nginx's error wording and lines, robustness) and
//! the include loader.

use stacklint::nginx::ast::{Directive, File, Quote};
use stacklint::nginx::parser::{looks_like_nginx, parse};
use stacklint::source::{SourceFile, SourceMapBuilder};
use std::path::Path;
use std::sync::Arc;

fn source(bytes: &[u8]) -> Arc<SourceFile> {
    let b = SourceMapBuilder::new();
    // A first file so that global spans do not start at 0 (catches local/global mix-ups).
    b.add(Path::new("pad.conf"), "pad.conf".into(), b"# padding\n".to_vec());
    b.add(Path::new("t.conf"), "t.conf".into(), bytes.to_vec())
}

fn ok(text: &str) -> File {
    let f = source(text.as_bytes());
    match parse(&f) {
        Ok(p) => p,
        Err(e) => panic!("parse failed: {} at {:?}", e.message, e.span.map(|s| f.line_col(f.local(s.start)))),
    }
}

/// (message, line, column) of the error.
fn err(text: &str) -> (String, usize, usize) {
    let f = source(text.as_bytes());
    let e = parse(&f).expect_err("expected a syntax error");
    assert_eq!(e.file, "t.conf");
    let lc = f.line_col(f.local(e.span.expect("error has a span").start));
    (e.message, lc.line, lc.column)
}

fn values(d: &Directive) -> Vec<&str> {
    d.args.iter().map(|a| a.value.as_str()).collect()
}

fn text_of(f: &File, span: stacklint::source::Span) -> &str {
    f.source.slice(span)
}

#[test]
fn directives_blocks_and_args() {
    let f = ok("user www-data;\nevents { worker_connections 512; }\nhttp {\n  server {\n    listen 80 default_server;\n  }\n}\n");
    assert_eq!(f.directives.len(), 3);
    assert_eq!(f.directives[0].name, "user");
    assert_eq!(values(&f.directives[0]), ["www-data"]);
    assert!(f.directives[0].block.is_none());
    let http = &f.directives[2];
    assert_eq!(http.line, 3);
    let server = &http.children()[0];
    assert_eq!(server.name, "server");
    assert_eq!(server.line, 4);
    let listen = &server.children()[0];
    assert_eq!((listen.name.as_str(), listen.line), ("listen", 5));
    assert_eq!(values(listen), ["80", "default_server"]);
    assert_eq!(text_of(&f, listen.span), "listen 80 default_server;");
    assert_eq!(text_of(&f, server.span), "server {\n    listen 80 default_server;\n  }");
    assert_eq!(text_of(&f, listen.name_span), "listen");
    let lc = f.source.line_col(f.source.local(listen.args[1].span.start));
    assert_eq!((lc.line, lc.column), (5, 15));
}

#[test]
fn quotes_and_escapes() {
    let f = ok(concat!(
        "a \"x y\" 'p q' \"q\\\"d\" 'it\\'s' \"b\\\\s\" \"t\\tn\\nr\\r\" \"\\z\" w\\ x \"\" '';\n",
        "b \"multi\nline\";\n",
    ));
    let a = &f.directives[0];
    assert_eq!(values(a), ["x y", "p q", "q\"d", "it's", "b\\s", "t\tn\nr\r", "\\z", "w\\ x", "", ""]);
    assert_eq!(a.args[0].quote, Quote::Double);
    assert_eq!(a.args[1].quote, Quote::Single);
    assert_eq!(a.args[7].quote, Quote::None);
    assert_eq!(text_of(&f, a.args[0].span), "\"x y\"");
    assert_eq!(text_of(&f, a.args[3].span), "'it\\'s'");
    assert_eq!(f.directives[1].arg(0), Some("multi\nline"));
    assert_eq!(f.directives[1].line, 2);
    // An escaped `;` or space does not end an unquoted word.
    let f = ok("a b\\;c d;");
    assert_eq!(values(&f.directives[0]), ["b\\;c", "d"]);
}

#[test]
fn quotes_inside_words_are_ordinary() {
    // crossplane's quote-behavior config, second line: quotes in the middle of a word are kept.
    let f = ok("x \"\" right-empty\"\" inner\"\"empty;");
    assert_eq!(values(&f.directives[0]), ["", "right-empty\"\"", "inner\"\"empty"]);
    // A quoted directive name.
    let f = ok("\"add_header\" X y;");
    assert_eq!(f.directives[0].name, "add_header");
}

#[test]
fn variables_with_braces() {
    let f = ok("set $a \"${host}x\";\nreturn 200 ${scheme}://$host${request_uri};\nlocation ~ ^/(a)$ { }\n");
    assert_eq!(values(&f.directives[0]), ["$a", "${host}x"]);
    assert_eq!(values(&f.directives[1]), ["200", "${scheme}://$host${request_uri}"]);
    assert!(f.directives[1].block.is_none());
    let loc = &f.directives[2];
    assert_eq!(values(loc), ["~", "^/(a)$"]);
    assert_eq!(loc.block.as_deref(), Some(&[][..]));
    // `}` inside an unquoted word is part of it (nginx only ends words at space, `;`, `{`).
    let f = ok("a b}c;");
    assert_eq!(values(&f.directives[0]), ["b}c"]);
}

#[test]
fn if_conditions_are_words() {
    let f = ok("if ($request_method = POST) { return 405; }\nif ($a ~* \"^x y$\") { }\nif ($http_x = \"v\") { }\n");
    assert_eq!(values(&f.directives[0]), ["($request_method", "=", "POST)"]);
    assert_eq!(f.directives[0].children()[0].name, "return");
    assert_eq!(values(&f.directives[1]), ["($a", "~*", "^x y$", ")"]);
    // `)` right after a closing quote is allowed and starts a new word.
    assert_eq!(values(&f.directives[2]), ["($http_x", "=", "v", ")"]);
}

#[test]
fn comments_are_kept() {
    let f = ok("# top\nuser x; # trailing\nlisten # between\n  80;\na b#c;\n\"q\" x;#n\n");
    let texts: Vec<_> = f.comments.iter().map(|c| (c.text.as_str(), c.line)).collect();
    assert_eq!(texts, [(" top", 1), (" trailing", 2), (" between", 3), ("n", 6)]);
    assert_eq!(values(&f.directives[1]), ["80"]);
    assert_eq!(f.directives[1].line, 3);
    // `#` inside a word is not a comment.
    assert_eq!(values(&f.directives[2]), ["b#c"]);
    assert_eq!(text_of(&f, f.comments[1].span), "# trailing");
}

#[test]
fn empty_statements() {
    // nginx rejects a lone `;` (see errors below) but `;` after a directive is just its end.
    let f = ok("\n\n");
    assert!(f.directives.is_empty());
    let f = ok("events {} http { }");
    assert_eq!(f.directives.len(), 2);
    assert_eq!(f.directives[1].block.as_deref().map(|b| b.len()), Some(0));
}

#[test]
fn lua_blocks_are_raw() {
    let text = "http {\n  server {\n    content_by_lua_block {\n      ngx.say(\"}{\") -- a } in a comment\n      local t = { a = '}' }\n      local s = [[ } ]] --[==[ { ]==]\n    }\n    set_by_lua_block $res { return 1 }\n    listen 80;\n  }\n}\n";
    let f = ok(text);
    let server = &f.directives[0].children()[0];
    let lua = &server.children()[0];
    assert_eq!(lua.name, "content_by_lua_block");
    assert_eq!(lua.args.len(), 1);
    assert_eq!(
        lua.args[0].value,
        "\n      ngx.say(\"}{\") -- a } in a comment\n      local t = { a = '}' }\n      local s = [[ } ]] --[==[ { ]==]\n    "
    );
    assert_eq!(lua.block.as_deref(), Some(&[][..]));
    assert_eq!(lua.line, 3);
    assert!(text_of(&f, lua.span).ends_with("]==]\n    }"));
    let set = &server.children()[1];
    assert_eq!(values(set), ["$res", " return 1 "]);
    assert_eq!(set.line, 8);
    let listen = &server.children()[2];
    assert_eq!((listen.name.as_str(), listen.line), ("listen", 9));
    // A directive *argument* named like a lua block is an ordinary word.
    let f = ok("server_name content_by_lua_block;\nupstream content_by_lua_block { server a; }\n");
    assert_eq!(f.directives[1].children()[0].name, "server");
}

#[test]
fn crossplane_lua_block_tricky_matches_crossplane() {
    let text =
        std::fs::read_to_string("fixtures/corpus/nginx/crossplane/tests/configs/lua-block-tricky/nginx.conf").unwrap();
    let f = ok(&text);
    let server = &f.directives[0].children()[0];
    let set = &server.children()[2];
    assert_eq!(set.name, "set_by_lua_block");
    assert_eq!(set.line, 5);
    assert_eq!(set.args[1].value, " -- irregular lua block directive\n            local a = 32\n            local b = 56\n\n            ngx.var.diff = a - b;  -- write to $diff directly\n            return a + b;          -- return the $sum value normally\n        ");
    let rw = &server.children()[3];
    assert_eq!(rw.name, "rewrite_by_lua_block");
    assert_eq!(rw.args[0].value, " -- have valid braces in Lua code and quotes around directive\n            do_something(\"hello, world!\\nhiya\\n\")\n            a = { 1, 2, 3 }\n            btn = iup.button({title=\"ok\"})\n        ");
    assert_eq!(f.directives[0].children()[1].name, "upstream");
    assert_eq!(f.directives[0].children()[1].line, 18);
}

#[test]
fn spans_and_lines_with_crlf_and_tabs() {
    let f = ok("a 1;\r\n\tb\t2 ;\r\n");
    assert_eq!(f.directives[1].line, 2);
    assert_eq!(text_of(&f, f.directives[1].span), "b\t2 ;");
    let lc = f.source.line_col(f.source.local(f.directives[1].args[0].span.start));
    assert_eq!((lc.line, lc.column), (2, 4));
}

// Errors. Each line/column was checked against `nginx -t` 1.22.1 (Debian 12 nginx-light) with
// the text prefixed by `events {}\n` (so nginx's lines are one more than here); nginx's message
// is quoted in each comment.

#[test]
fn error_unexpected_close_brace() {
    // nginx: unexpected "}" in t.conf:6 (for "events {}\nhttp {\n server {\n }\n}\n}\n")
    assert_eq!(err("http {\n server {\n }\n}\n}\n"), ("unexpected \"}\"".into(), 5, 1));
    // nginx: unexpected "}" in t.conf:4 (for "events {}\nhttp {\n server_name a\n}\n")
    assert_eq!(err("http {\n server_name a\n}\n"), ("unexpected \"}\"".into(), 3, 1));
    // nginx: unexpected "}" in t.conf:2 (for "events {}\nhttp { server_name \"a\"}")
    assert_eq!(err("http { server_name \"a\"}"), ("unexpected \"}\"".into(), 1, 23));
}

#[test]
fn error_unexpected_eof() {
    // nginx: unexpected end of file, expecting "}" in t.conf:4 (for "events {}\nhttp {\n  server {\n")
    assert_eq!(err("http {\n  server {\n"), ("unexpected end of file, expecting \"}\"".into(), 3, 1));
    // nginx: unexpected end of file, expecting ";" or "}" in t.conf:3 (for "events {}\nuser nginx\n")
    assert_eq!(err("user nginx\n"), ("unexpected end of file, expecting \";\" or \"}\"".into(), 2, 1));
    // nginx: ... t.conf:2 (for "events {}\nuser nginx", no final newline)
    assert_eq!(err("user nginx"), ("unexpected end of file, expecting \";\" or \"}\"".into(), 1, 11));
    // `}` inside a word does not close the block.
    // nginx: unexpected end of file, expecting ";" or "}" in t.conf:3 (for "events {}\nhttp { server_name a}\n")
    assert_eq!(err("http { server_name a}\n").1, 2);
    // Trailing backslash. nginx: unexpected end of file, expecting ";" or "}" in t.conf:2
    assert_eq!(err("http { server_name a\\").0, "unexpected end of file, expecting \";\" or \"}\"");
}

#[test]
fn error_unterminated_quote() {
    // nginx: unexpected end of file, expecting ";" or "}" in t.conf:5
    // (for "events {}\nhttp { add_header X \"abc;\n}\n\n")
    assert_eq!(
        err("http { add_header X \"abc;\n}\n\n"),
        ("unexpected end of file, expecting \";\" or \"}\"".into(), 4, 1)
    );
    assert_eq!(err("a 'b").1, 1);
}

#[test]
fn error_unexpected_semicolon_and_brace() {
    // nginx: unexpected ";" in t.conf:2 (for "events {}\n;")
    assert_eq!(err(";"), ("unexpected \";\"".into(), 1, 1));
    // nginx: unexpected "{" in t.conf:3 (for "events {}\n\n  {")
    assert_eq!(err("\n  {"), ("unexpected \"{\"".into(), 2, 3));
    assert_eq!(err("http { ; }").0, "unexpected \";\"");
}

#[test]
fn error_after_closing_quote() {
    // nginx: unexpected "b" in t.conf:2 (for "events {}\nhttp { server_name \"a\"b; }")
    assert_eq!(err("http { server_name \"a\"b; }"), ("unexpected \"b\"".into(), 1, 23));
    // nginx: unexpected "#" in t.conf:2
    assert_eq!(err("http { server_name \"a\"#c\n; }").0, "unexpected \"#\"");
    // crossplane quote-behavior, line 1. nginx: unexpected "-" in .../quote-behavior/nginx.conf:1
    assert_eq!(
        err("\"outer-quote\" \"left\"-quote right-\"quote\" inner\"-\"quote;\n"),
        ("unexpected \"-\"".into(), 1, 21)
    );
}

#[test]
fn error_unterminated_lua_block() {
    let (m, line, _) = err("content_by_lua_block {\n  ngx.say('x')\n");
    assert_eq!((m.as_str(), line), ("unexpected end of file, expecting \"}\"", 3));
}

#[test]
fn deep_nesting_is_a_clean_error() {
    let text = "a {".repeat(100_000);
    let (m, line, _) = err(&text);
    assert!(m.contains("too many nested blocks"), "{m}");
    assert_eq!(line, 1);
    let text = "{".repeat(100_000);
    assert_eq!(err(&text).0, "unexpected \"{\"");
    // 200 levels are fine.
    let text = format!("{}{}", "a {".repeat(200), "}".repeat(200));
    assert_eq!(ok(&text).directives.len(), 1);
}

#[test]
fn no_panic_on_garbage() {
    let inputs: Vec<Vec<u8>> = vec![
        b"\0\0\0".to_vec(),
        b"a \0 b;".to_vec(),
        vec![0xff, 0xfe, b';', b'{', 0x80],
        b"\\".to_vec(),
        b"\"".to_vec(),
        b"'".to_vec(),
        b"$".to_vec(),
        b"${".to_vec(),
        b"a ${".to_vec(),
        b"#".to_vec(),
        b"}".to_vec(),
        b"x_by_lua_block {".to_vec(),
        b"x_by_lua_block { [==[ ".to_vec(),
        b"x_by_lua_block { \" ".to_vec(),
        b"x_by_lua_block { -- ".to_vec(),
        b"x_by_lua_block { --[[ ".to_vec(),
        "é ü; \u{feff}x y;".as_bytes().to_vec(),
    ];
    for i in inputs {
        let _ = parse(&source(&i));
        let _ = looks_like_nginx(&String::from_utf8_lossy(&i));
    }
    // Pseudo-random bytes (xorshift), biased towards nginx's special characters.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let special = b"{};\"'\\$# \n\tab_by_lua_block";
    for _ in 0..2000 {
        let n = (x % 200) as usize;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.push(if x.is_multiple_of(3) { (x >> 8) as u8 } else { special[(x >> 16) as usize % special.len()] });
        }
        let _ = parse(&source(&v));
    }
}

#[test]
fn truncated_prefixes_of_real_configs_do_not_panic() {
    for path in [
        "fixtures/corpus/nginx/nginx/conf/nginx.conf",
        "fixtures/corpus/nginx/crossplane/tests/configs/lua-block-larger/nginx.conf",
        "fixtures/corpus/nginx/crossplane/tests/configs/messy/nginx.conf",
    ] {
        let text = std::fs::read(path).unwrap();
        for cut in 0..text.len() {
            let _ = parse(&source(&text[..cut]));
        }
    }
}

#[test]
fn one_megabyte_single_line() {
    let mut s = String::from("add_header X \"");
    s.push_str(&"a".repeat(1 << 20));
    s.push_str("\";");
    let f = ok(&s);
    assert_eq!(f.directives[0].args[1].value.len(), 1 << 20);
    let mut s = String::new();
    for i in 0..60_000 {
        s.push_str(&format!("d{i} v; "));
    }
    assert_eq!(ok(&s).directives.len(), 60_000);
}

#[test]
fn detects_nginx_by_content() {
    assert!(looks_like_nginx("worker_processes 1;\nevents { }\nhttp { }\n"));
    assert!(looks_like_nginx("server {\n listen 80;\n location / { proxy_pass http://app; }\n}\n"));
    assert!(looks_like_nginx("upstream app { server 127.0.0.1:8000; }\n"));
    assert!(looks_like_nginx("# comment\nproxy_set_header Host $host;\n"));
    // PHP-FPM pool, php.ini, haproxy, supervisord, systemd, INI.
    assert!(!looks_like_nginx("[www]\nuser = www-data\nlisten = /run/php/php8.2-fpm.sock\npm = dynamic\n"));
    assert!(!looks_like_nginx("[PHP]\n; comment\nengine = On\nmax_execution_time = 30\n"));
    assert!(!looks_like_nginx(
        "global\n    daemon\n    maxconn 256\n\ndefaults\n    mode http\n    timeout connect 5s\n"
    ));
    assert!(!looks_like_nginx("[program:app]\ncommand=/usr/bin/gunicorn app:app\nautostart=true\n"));
    assert!(!looks_like_nginx("[Unit]\nDescription=x\n\n[Service]\nExecStart=/usr/bin/x\n"));
    assert!(!looks_like_nginx("[section]\nkey=value\nother = 1;\n"));
    assert!(!looks_like_nginx(""));
    // A long nginx file cut at 64 KiB by discovery still counts.
    let mut s = String::from("http {\n");
    while s.len() < 70_000 {
        s.push_str("  server { listen 80; server_name example.com; }\n");
    }
    assert!(looks_like_nginx(&s[..65_536]));
}

/// The include loader (`nginx::load`), on temporary trees.
mod loader {
    use stacklint::discover::{discover, Ctx, Found, Kind};
    use stacklint::nginx::ast::{Directive, Tree};
    use stacklint::nginx::load::load;
    use std::path::Path;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn run(root: &Path) -> (Ctx, Tree, Vec<stacklint::diag::LoadError>) {
        let (ctx, found) = discover(&[root.to_path_buf()]).unwrap();
        let nginx: Vec<Found> = found.into_iter().filter(|f| f.kind == Kind::Nginx).collect();
        let (tree, errors) = load(&ctx, &nginx);
        (ctx, tree, errors)
    }

    fn find<'a>(dirs: &'a [Directive], name: &str) -> Option<&'a Directive> {
        for d in dirs {
            if d.name == name {
                return Some(d);
            }
            if let Some(x) = find(d.children(), name) {
                return Some(x);
            }
        }
        None
    }

    fn display(tree: &Tree, i: usize) -> String {
        tree.files[i].source.display.replace('\\', "/")
    }

    fn file_named(tree: &Tree, suffix: &str) -> usize {
        (0..tree.files.len())
            .find(|&i| display(tree, i).ends_with(suffix))
            .unwrap_or_else(|| panic!("no file {suffix}"))
    }

    #[test]
    fn relative_include_is_resolved_from_the_main_directory() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "nginx/nginx.conf", "events {}\nhttp {\n  include conf.d/app.conf;\n}\n");
        write(t.path(), "nginx/conf.d/app.conf", "server { listen 8080; }\n");
        let (_, tree, errors) = run(t.path());
        assert!(errors.is_empty(), "{errors:?}");
        let main = file_named(&tree, "nginx/nginx.conf");
        assert_eq!(tree.mains, vec![main]);
        let inc = find(&tree.files[main].directives, "include").unwrap();
        assert_eq!(inc.includes, vec![file_named(&tree, "conf.d/app.conf")]);
        let http = &tree.files[main].directives[1];
        let expanded: Vec<_> = tree.expanded(http.children()).iter().map(|d| d.name.clone()).collect();
        assert_eq!(expanded, ["server"]);
    }

    #[test]
    fn glob_include_is_sorted_and_does_not_cross_directories_or_match_dotfiles() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "nginx.conf", "events {}\nhttp { include conf.d/*.conf; }\n");
        write(t.path(), "conf.d/b.conf", "server { server_name b; }\n");
        write(t.path(), "conf.d/a.conf", "server { server_name a; }\n");
        write(t.path(), "conf.d/.hidden.conf", "server { server_name hidden; }\n");
        write(t.path(), "conf.d/sub/c.conf", "server { server_name c; }\n");
        write(t.path(), "conf.d/notes.txt", "not nginx\n");
        let (_, tree, errors) = run(t.path());
        assert!(errors.is_empty(), "{errors:?}");
        let main = file_named(&tree, "nginx.conf");
        let inc = find(&tree.files[main].directives, "include").unwrap();
        let names: Vec<_> = inc.includes.iter().map(|&i| display(&tree, i)).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names[0].ends_with("conf.d/a.conf") && names[1].ends_with("conf.d/b.conf"), "{names:?}");
        // sub/c.conf and .hidden.conf are not included, so they are linted as fragments.
        let mains: Vec<_> = tree.mains.iter().map(|&i| display(&tree, i)).collect();
        assert_eq!(mains.len(), 3, "{mains:?}");
        assert!(mains[0].ends_with("nginx.conf"));
    }

    #[test]
    fn absolute_include_is_looked_up_inside_the_tree() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "etc/nginx/nginx.conf",
            "events {}\nhttp {\n include /etc/nginx/conf.d/*.conf;\n include /etc/nginx/sites-enabled/app;\n}\n",
        );
        write(t.path(), "etc/nginx/conf.d/x.conf", "upstream x { server 127.0.0.1:1; }\n");
        write(t.path(), "etc/nginx/sites-enabled/app", "server { listen 80; }\n");
        // A repository without etc/: /etc/nginx/snippets/s.conf -> <root>/deploy/snippets/s.conf via
        // the main file's directory, after stripping leading components.
        write(t.path(), "deploy/nginx.conf", "events {}\nhttp { include /etc/nginx/snippets/s.conf; }\n");
        write(t.path(), "deploy/snippets/s.conf", "gzip on;\n");
        let (_, tree, errors) = run(t.path());
        assert!(errors.is_empty(), "{errors:?}");
        assert!(tree.missing_includes.is_empty(), "{:?}", tree.missing_includes);
        let main = file_named(&tree, "etc/nginx/nginx.conf");
        let http = &tree.files[main].directives[1];
        let names: Vec<_> = tree.expanded(http.children()).iter().map(|d| d.name.clone()).collect();
        assert_eq!(names, ["upstream", "server"]);
        let deploy = file_named(&tree, "deploy/nginx.conf");
        let inc = find(&tree.files[deploy].directives, "include").unwrap();
        assert_eq!(inc.includes, vec![file_named(&tree, "deploy/snippets/s.conf")]);
        assert_eq!(tree.mains.len(), 2);
    }

    #[test]
    fn missing_stock_file_uses_the_builtin() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "nginx.conf",
            "events {}\nhttp {\n include mime.types;\n server {\n  location ~ \\.php$ {\n   include snippets/fastcgi-php.conf;\n   include /etc/nginx/fastcgi_params;\n  }\n }\n}\n",
        );
        let (_, tree, errors) = run(t.path());
        assert!(errors.is_empty(), "{errors:?}");
        assert!(tree.missing_includes.is_empty(), "{:?}", tree.missing_includes);
        let mime = file_named(&tree, "<builtin>/mime.types");
        assert!(tree.files[mime].source.builtin);
        assert_eq!(tree.files[mime].directives[0].name, "types");
        let php = file_named(&tree, "<builtin>/snippets/fastcgi-php.conf");
        // The snippet includes fastcgi.conf, which is built in too.
        let inc = find(&tree.files[php].directives, "include").unwrap();
        assert_eq!(inc.includes, vec![file_named(&tree, "<builtin>/fastcgi.conf")]);
        let fp = file_named(&tree, "<builtin>/fastcgi_params");
        assert!(tree.files[fp].directives.iter().all(|d| d.name == "fastcgi_param"));
        // Built-ins are not mains.
        assert_eq!(tree.mains.len(), 1);
    }

    #[test]
    fn stock_file_in_the_tree_wins_over_the_builtin() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "nginx/nginx.conf", "events {}\nhttp { include fastcgi_params; }\n");
        write(t.path(), "nginx/fastcgi_params", "fastcgi_param MINE 1;\n");
        let (_, tree, errors) = run(t.path());
        assert!(errors.is_empty(), "{errors:?}");
        let f = file_named(&tree, "nginx/fastcgi_params");
        assert!(!tree.files[f].source.builtin);
        assert_eq!(tree.files[f].directives[0].arg(0), Some("MINE"));
    }

    #[test]
    fn missing_file_is_a_missing_include_not_an_error() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "nginx.conf", "events {}\nhttp {\n  include conf.d/nope.conf;\n  include none/*.conf;\n}\n");
        let (ctx, tree, errors) = run(t.path());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(tree.missing_includes.len(), 1, "a glob matching nothing is fine");
        let m = &tree.missing_includes[0];
        assert_eq!(m.pattern, "conf.d/nope.conf");
        assert!(m.looked_in.iter().any(|l| l.ends_with("conf.d/nope.conf")), "{:?}", m.looked_in);
        let map = ctx.map.freeze();
        assert_eq!(map.slice(m.span), "include conf.d/nope.conf;");
        let main = file_named(&tree, "nginx.conf");
        let http = &tree.files[main].directives[1];
        assert!(http.children().iter().all(|d| d.includes.is_empty()));
    }

    #[test]
    fn include_cycles_are_errors_and_terminate() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "nginx.conf", "events {}\nhttp { include a.conf; include self.conf; }\n");
        write(t.path(), "a.conf", "include b.conf;\n");
        write(t.path(), "b.conf", "include a.conf;\n");
        write(t.path(), "self.conf", "include self.conf;\n");
        let (_, tree, errors) = run(t.path());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().all(|e| e.message.starts_with("include cycle: ") && e.span.is_some()));
        assert!(errors.iter().any(|e| e.message.contains("a.conf -> ") && e.message.contains("b.conf")), "{errors:?}");
        let b = file_named(&tree, "/b.conf");
        assert!(tree.files[b].directives[0].includes.is_empty());
        let s = file_named(&tree, "self.conf");
        assert!(tree.files[s].directives[0].includes.is_empty());
        // expand terminates.
        let main = file_named(&tree, "nginx.conf");
        let n = tree.expanded(tree.files[main].directives[1].children()).len();
        assert_eq!(n, 2);
    }

    #[test]
    fn files_outside_the_tree_are_never_read() {
        let outer = tempfile::tempdir().unwrap();
        let secret = "SECRET_TOKEN_6f1d2 server_name leaked;";
        write(outer.path(), "outside.conf", secret);
        write(outer.path(), "passwd", secret);
        let root = outer.path().join("repo");
        let abs = outer.path().join("outside.conf");
        write(
            &root,
            "nginx.conf",
            &format!(
                "events {{}}\nhttp {{\n include ../outside.conf;\n include ../../outside.conf;\n include /etc/passwd;\n include {};\n include ../*.conf;\n}}\n",
                abs.display()
            ),
        );
        let (ctx, tree, errors) = run(&root);
        let map = ctx.map.freeze();
        for f in map.files() {
            assert!(!f.text.contains("SECRET_TOKEN"), "{} was read", f.display);
        }
        for f in &tree.files {
            assert!(!f.source.text.contains("SECRET_TOKEN"));
        }
        for e in &errors {
            assert!(!e.message.contains("SECRET_TOKEN"));
        }
        // The non-glob ones are reported as missing (they are not in the tree).
        assert_eq!(tree.missing_includes.len(), 4, "{:?}", tree.missing_includes);
    }

    #[test]
    fn mains_and_fragments() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "a/sites-available/orphan", "server { listen 81; }\n");
        write(t.path(), "b/nginx.conf", "events {}\nhttp { include conf.d/*.conf; }\n");
        write(t.path(), "b/conf.d/inc.conf", "server { listen 82; }\n");
        write(t.path(), "c/stream.conf", "stream { server { listen 53 udp; } }\n");
        write(t.path(), "d/nginx.conf", "events {\n");
        let (_, tree, errors) = run(t.path());
        assert_eq!(errors.len(), 1, "the broken file: {errors:?}");
        assert!(errors[0].message.starts_with("unexpected end of file"));
        let mains: Vec<_> = tree.mains.iter().map(|&i| display(&tree, i)).collect();
        // Real mains first (discovery order), then fragments nothing includes.
        assert_eq!(mains.len(), 3, "{mains:?}");
        assert!(mains[0].ends_with("b/nginx.conf"), "{mains:?}");
        assert!(mains[1].ends_with("c/stream.conf"), "{mains:?}");
        assert!(mains[2].ends_with("a/sites-available/orphan"), "{mains:?}");
    }

    #[test]
    fn fragment_relative_includes_look_in_ancestors() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "nginx/sites-enabled/app", "server { location / { include snippets/proxy.conf; } }\n");
        write(t.path(), "nginx/snippets/proxy.conf", "proxy_pass http://app;\n");
        let (_, tree, errors) = run(t.path());
        assert!(errors.is_empty(), "{errors:?}");
        assert!(tree.missing_includes.is_empty(), "{:?}", tree.missing_includes);
        let app = file_named(&tree, "sites-enabled/app");
        let inc = find(&tree.files[app].directives, "include").unwrap();
        assert_eq!(inc.includes, vec![file_named(&tree, "snippets/proxy.conf")]);
        assert_eq!(tree.mains, vec![app]);
    }

    #[test]
    fn each_file_is_parsed_once() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "nginx.conf", "events {}\nhttp { include common.conf; server { include common.conf; } }\n");
        write(t.path(), "common.conf", "add_header X 1;\n");
        let (_, tree, errors) = run(t.path());
        assert!(errors.is_empty(), "{errors:?}");
        let n = (0..tree.files.len()).filter(|&i| display(&tree, i).ends_with("common.conf")).count();
        assert_eq!(n, 1);
    }
}
