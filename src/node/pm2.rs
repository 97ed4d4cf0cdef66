//! PM2 ecosystem files: `ecosystem.config.js` / `.cjs` (read with oxc, never run:
//! `module.exports = { apps: [{ name, script, instances, env: { PORT } }] }`, also
//! `export default {...}`) and `ecosystem.config.json` (serde_json).

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrayExpressionElement, AssignmentTarget, Expression, ObjectExpression, ObjectPropertyKind, Statement,
};
use oxc_parser::Parser;
use oxc_span::GetSpan;

/// One PM2 app.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pm2App {
    pub name: Option<String>,
    pub script: Option<String>,
    pub cwd: Option<String>,
    /// `instances` as written (`4`, `"max"`, `-1`).
    pub instances: Option<String>,
    /// `env` (and `env_production`, which wins), with local spans of each property.
    pub env: Vec<(String, String, (u32, u32))>,
    /// The app object's local span.
    pub span: (u32, u32),
}

fn scalar(e: &Expression<'_>) -> Option<String> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
        Expression::NumericLiteral(n) => {
            Some(if n.value.fract() == 0.0 { format!("{}", n.value as i64) } else { n.value.to_string() })
        }
        Expression::UnaryExpression(u) => scalar(&u.argument).map(|s| format!("-{s}")),
        Expression::BooleanLiteral(b) => Some(b.value.to_string()),
        _ => None,
    }
}

fn props<'b, 'a>(o: &'b ObjectExpression<'a>) -> impl Iterator<Item = (String, &'b Expression<'a>, (u32, u32))> {
    o.properties.iter().filter_map(|p| match p {
        ObjectPropertyKind::ObjectProperty(p) => {
            let k = p.key.static_name()?.to_string();
            let s = p.span;
            Some((k, &p.value, (s.start, s.end)))
        }
        _ => None,
    })
}

fn app_of(o: &ObjectExpression<'_>) -> Pm2App {
    let mut app = Pm2App { span: (o.span.start, o.span.end), ..Pm2App::default() };
    let mut prod = Vec::new();
    for (k, v, _) in props(o) {
        match k.as_str() {
            "name" => app.name = scalar(v),
            "script" => app.script = scalar(v),
            "cwd" => app.cwd = scalar(v),
            "instances" => app.instances = scalar(v),
            "env" | "env_production" => {
                if let Expression::ObjectExpression(e) = v.get_inner_expression() {
                    for (ek, ev, es) in props(e) {
                        if let Some(val) = scalar(ev) {
                            if k == "env" {
                                app.env.push((ek, val, es));
                            } else {
                                prod.push((ek, val, es));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for p in prod {
        app.env.retain(|e| e.0 != p.0);
        app.env.push(p);
    }
    app
}

fn apps_of(o: &ObjectExpression<'_>) -> Vec<Pm2App> {
    for (k, v, _) in props(o) {
        if k == "apps" {
            match v.get_inner_expression() {
                Expression::ArrayExpression(a) => {
                    return a
                        .elements
                        .iter()
                        .filter_map(|e| match e {
                            ArrayExpressionElement::ObjectExpression(o) => Some(app_of(o)),
                            _ => None,
                        })
                        .collect();
                }
                Expression::ObjectExpression(o) => return vec![app_of(o)],
                _ => {}
            }
        }
    }
    Vec::new()
}

/// Reads a JS ecosystem file. `Err`: message and local span of the syntax error.
pub fn parse_js(name: &str, text: &str) -> Result<Vec<Pm2App>, (String, (u32, u32))> {
    if let Some(at) = super::source::too_deep(text) {
        return Err(("nesting too deep; not read".into(), (at as u32, at as u32 + 1)));
    }
    super::source::with_parser_stack(text, || parse_js_here(name, text)).unwrap_or_else(|m| Err((m, (0, 0))))
}

fn parse_js_here(name: &str, text: &str) -> Result<Vec<Pm2App>, (String, (u32, u32))> {
    let allocator = Allocator::default();
    let ret = Parser::new(&allocator, text, super::source::source_type(name)).parse();
    if ret.panicked || ret.diagnostics.has_errors() {
        let d = ret.diagnostics.errors().next();
        let msg = d.map(|d| d.message.to_string()).unwrap_or_else(|| "cannot parse this file".into());
        let sp = d.and_then(|d| d.labels.first()).map(|l| (l.offset(), l.offset() + l.len())).unwrap_or((0, 0));
        return Err((msg, sp));
    }
    let mut out = Vec::new();
    for st in &ret.program.body {
        let obj = match st {
            Statement::ExpressionStatement(es) => match es.expression.get_inner_expression() {
                Expression::AssignmentExpression(a) => {
                    let is_exports = match &a.left {
                        AssignmentTarget::StaticMemberExpression(m) => {
                            m.object.is_specific_id("module") && m.property.name == "exports"
                        }
                        _ => false,
                    };
                    match (is_exports, a.right.get_inner_expression()) {
                        (true, Expression::ObjectExpression(o)) => Some(&**o),
                        _ => None,
                    }
                }
                _ => None,
            },
            Statement::ExportDefaultDeclaration(d) => match d.declaration.as_expression() {
                Some(Expression::ObjectExpression(o)) => Some(&**o),
                _ => None,
            },
            _ => None,
        };
        if let Some(o) = obj {
            out.extend(apps_of(o));
            let _ = o.span();
        }
    }
    Ok(out)
}

/// Reads `ecosystem.config.json`. Spans of env entries point at the app object (serde_json keeps
/// no positions); `Err`: message and local offset.
pub fn parse_json(text: &str) -> Result<Vec<Pm2App>, (String, u32)> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let off = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum::<usize>()
            + e.column().saturating_sub(1);
        (e.to_string(), off.min(text.len()) as u32)
    })?;
    let apps = match v.get("apps") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    };
    let sc = |x: &serde_json::Value| match x {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let whole = (0, text.len() as u32);
    Ok(apps
        .iter()
        .map(|a| {
            let mut app = Pm2App {
                name: a.get("name").and_then(sc),
                script: a.get("script").and_then(sc),
                cwd: a.get("cwd").and_then(sc),
                instances: a.get("instances").and_then(sc),
                env: Vec::new(),
                span: whole,
            };
            for key in ["env", "env_production"] {
                if let Some(serde_json::Value::Object(m)) = a.get(key) {
                    for (k, v) in m {
                        if let Some(val) = sc(v) {
                            let span = find_json_key(text, k).unwrap_or(whole);
                            app.env.retain(|e| &e.0 != k);
                            app.env.push((k.clone(), val, span));
                        }
                    }
                }
            }
            app
        })
        .collect())
}

fn find_json_key(text: &str, key: &str) -> Option<(u32, u32)> {
    let needle = format!("\"{key}\"");
    let at = text.find(&needle)?;
    let rest = &text[at..];
    let end = rest.find([',', '\n', '}']).map(|e| at + e).unwrap_or(text.len());
    Some((at as u32, text[..end].trim_end().len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_ecosystem() {
        let t = "module.exports = {\n  apps: [{\n    name: 'api',\n    script: './server.js',\n    instances: 'max',\n    env: { PORT: 3001, NODE_ENV: 'development' },\n    env_production: { NODE_ENV: 'production' },\n  }],\n};\n";
        let apps = parse_js("ecosystem.config.js", t).unwrap();
        assert_eq!(apps.len(), 1);
        let a = &apps[0];
        assert_eq!(a.script.as_deref(), Some("./server.js"));
        assert_eq!(a.instances.as_deref(), Some("max"));
        let port = a.env.iter().find(|e| e.0 == "PORT").unwrap();
        assert_eq!(port.1, "3001");
        assert_eq!(&t[port.2 .0 as usize..port.2 .1 as usize], "PORT: 3001");
        let ne = a.env.iter().find(|e| e.0 == "NODE_ENV").unwrap();
        assert_eq!(ne.1, "production");
    }

    #[test]
    fn json_ecosystem() {
        let t = r#"{"apps": [{"name": "api", "script": "app.js", "instances": 2, "env": {"PORT": "4000"}}]}"#;
        let apps = parse_json(t).unwrap();
        assert_eq!(apps[0].instances.as_deref(), Some("2"));
        assert_eq!(apps[0].env[0].1, "4000");
        assert!(parse_json("{ apps: ").is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_js("ecosystem.config.js", "module.exports = { apps: [ {").is_err());
    }

    #[test]
    fn deep_unbracketed_nesting_parses_and_oversized_files_are_refused() {
        // 100,000 levels with no bracket: more than a fixed stack held.
        let deep = format!("module.exports = {}1;\n", "- \n".repeat(100_000));
        assert_eq!(parse_js("ecosystem.config.js", &deep).unwrap().len(), 0);
        let big =
            format!("module.exports = {{ apps: [] }};\n//{}\n", "x".repeat(super::super::source::MAX_PARSED_BYTES));
        let (message, _) = parse_js("ecosystem.config.js", &big).unwrap_err();
        assert!(message.contains("more than stacklint parses"), "{message}");
    }
}
