//! The nginx parser: syntax features, spans, nginx's error wording and lines, robustness.

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

fn text_of<'a>(f: &'a File, span: stacklint::source::Span) -> &'a str {
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
    let text = std::fs::read_to_string("fixtures/corpus/nginx/crossplane/tests/configs/lua-block-tricky/nginx.conf").unwrap();
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
    assert_eq!(err("http { add_header X \"abc;\n}\n\n"), ("unexpected end of file, expecting \";\" or \"}\"".into(), 4, 1));
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
    assert_eq!(err("\"outer-quote\" \"left\"-quote right-\"quote\" inner\"-\"quote;\n"), ("unexpected \"-\"".into(), 1, 21));
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
            v.push(if x % 3 == 0 { (x >> 8) as u8 } else { special[(x >> 16) as usize % special.len()] });
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
    assert!(!looks_like_nginx("global\n    daemon\n    maxconn 256\n\ndefaults\n    mode http\n    timeout connect 5s\n"));
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
