//! `GET /api`: the API reference as one page, rendered on the server from the OpenAPI
//! document ([`AppState::openapi`]). No script and nothing from elsewhere: it works offline
//! and on a 360 px phone.

use std::fmt::Write;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

mod markup;

use crate::app::AppState;
use markup::{anchor, capitalise, esc, inline, plain, prose, resolve, type_label};

/// The methods an operation may have, in the order the page lists them.
const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

/// The API reference page
///
/// Every endpoint with its parameters, answers and an example `curl`, and every schema,
/// rendered from this API's OpenAPI document.
#[utoipa::path(
    get,
    path = "/api",
    tag = "meta",
    responses((status = 200, description = "The page.", body = String, content_type = "text/html"))
)]
pub async fn get_reference(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = {
        let info = req.connection_info();
        let host = info.host();
        // The host only goes into examples; anything odd in it is not worth quoting.
        let host = if !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        {
            host
        } else {
            "localhost:8080"
        };
        format!("{}://{host}", info.scheme())
    };
    let doc: Value = serde_json::from_str(state.openapi).unwrap_or(Value::Null);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(render(&doc, &base))
}

/// One operation of the document.
struct Operation<'a> {
    method: &'a str,
    path: &'a str,
    op: &'a Value,
}

impl Operation<'_> {
    fn id(&self) -> String {
        let id = self.op["operationId"].as_str().unwrap_or(self.path);
        format!("op-{}", anchor(id))
    }
}

fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in METHODS {
                if item[method].is_object() {
                    out.push(Operation {
                        method,
                        path,
                        op: &item[method],
                    });
                }
            }
        }
    }
    out
}

/// The whole page.
pub fn render(doc: &Value, base: &str) -> String {
    let info = &doc["info"];
    let title = info["title"].as_str().unwrap_or("API");
    let ops = operations(doc);
    let tags: Vec<(&str, &str)> = doc["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| {
                    Some((t["name"].as_str()?, t["description"].as_str().unwrap_or("")))
                })
                .collect()
        })
        .unwrap_or_default();
    let tag_of = |o: &Operation| o.op["tags"][0].as_str().unwrap_or("").to_owned();

    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t} reference</title>\n<link rel=\"stylesheet\" href=\"{css}\">\n</head>\n<body>\n\
         <header>\n<h1>{t}</h1>\n<p>Version {v} · OpenAPI {o} · the machine-readable \
         document is at <a href=\"/api/v1/openapi.json\"><code>/api/v1/openapi.json</code></a>.</p>\n\
         </header>\n",
        t = esc(title),
        css = super::assets::url("css/api.css"),
        v = esc(info["version"].as_str().unwrap_or("")),
        o = esc(doc["openapi"].as_str().unwrap_or("")),
    );

    out.push_str("<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ul>\n<li><a href=\"#overview\">Overview</a></li>\n");
    for (tag, _) in &tags {
        let _ = write!(
            out,
            "<li><a href=\"#tag-{a}\">{t}</a>\n<ul>\n",
            a = anchor(tag),
            t = esc(&capitalise(tag))
        );
        for o in ops.iter().filter(|o| tag_of(o) == *tag) {
            let _ = writeln!(
                out,
                "<li><a href=\"#{id}\"><code>{m} {p}</code></a></li>",
                id = o.id(),
                m = o.method.to_uppercase(),
                p = esc(o.path),
            );
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("<li><a href=\"#schemas\">Schemas</a></li>\n</ul>\n</nav>\n<main>\n");

    let _ = write!(
        out,
        "<section id=\"overview\">\n<h2>Overview</h2>\n{}</section>\n",
        prose(info["description"].as_str().unwrap_or(""))
    );
    for (tag, description) in &tags {
        let _ = write!(
            out,
            "<section id=\"tag-{a}\">\n<h2>{t}</h2>\n{d}",
            a = anchor(tag),
            t = esc(&capitalise(tag)),
            d = prose(description),
        );
        for o in ops.iter().filter(|o| tag_of(o) == *tag) {
            operation(&mut out, doc, o, base);
        }
        out.push_str("</section>\n");
    }
    schemas(&mut out, doc);
    out.push_str(
        "</main>\n<footer>\n<p>Generated from the code of this server; times are UTC.</p>\n\
         </footer>\n</body>\n</html>\n",
    );
    out
}

fn operation(out: &mut String, doc: &Value, o: &Operation, base: &str) {
    let op = o.op;
    let _ = write!(
        out,
        "<article id=\"{id}\">\n<h3><span class=\"method\">{m}</span> <code>{p}</code></h3>\n\
         <p class=\"summary\">{s}</p>\n{d}",
        id = o.id(),
        m = o.method.to_uppercase(),
        p = esc(o.path),
        s = esc(op["summary"].as_str().unwrap_or("")),
        d = prose(op["description"].as_str().unwrap_or("")),
    );
    if op["security"].is_array() {
        out.push_str("<p>Needs <code>Authorization: Bearer</code> with the admin token.</p>\n");
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str(
            "<h4>Parameters</h4>\n<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">Name</th>\
             <th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">Description</th>\
             </tr></thead>\n<tbody>\n",
        );
        for p in params {
            let schema = &p["schema"];
            let mut notes = Vec::new();
            if p["required"].as_bool() == Some(true) {
                notes.push("Required.".to_owned());
            }
            if let Some(d) = schema.get("default") {
                notes.push(format!("Default <code>{}</code>.", esc(&plain(d))));
            }
            if let (Some(lo), Some(hi)) = (schema.get("minimum"), schema.get("maximum")) {
                notes.push(format!("From {lo} to {hi}."));
            }
            if let Some(e) = p.get("example") {
                notes.push(format!("E.g. <code>{}</code>.", esc(&plain(e))));
            }
            let _ = writeln!(
                out,
                "<tr><td><code>{n}</code></td><td>{i}</td><td>{t}</td><td>{d} {notes}</td></tr>",
                n = esc(p["name"].as_str().unwrap_or("")),
                i = esc(p["in"].as_str().unwrap_or("")),
                t = type_label(schema),
                d = inline(
                    p["description"]
                        .as_str()
                        .or(schema["description"].as_str())
                        .unwrap_or("")
                ),
                notes = notes.join(" "),
            );
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        out.push_str("<h4>Request body</h4>\n<ul>\n");
        for (kind, c) in content {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(kind),
                type_label(&c["schema"])
            );
        }
        out.push_str("</ul>\n");
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str(
            "<h4>Responses</h4>\n<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">Status</th>\
             <th scope=\"col\">Description</th><th scope=\"col\">Content</th></tr></thead>\n<tbody>\n",
        );
        for (status, r) in responses {
            let mut content: Vec<String> = r["content"]
                .as_object()
                .map(|c| {
                    c.iter()
                        .map(|(kind, c)| {
                            format!("<code>{}</code>: {}", esc(kind), type_label(&c["schema"]))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if let Some(headers) = r["headers"].as_object() {
                content.extend(
                    headers
                        .keys()
                        .map(|h| format!("header <code>{}</code>", esc(h))),
                );
            }
            let _ = writeln!(
                out,
                "<tr><td>{s}</td><td>{d}</td><td>{c}</td></tr>",
                s = esc(status),
                d = inline(r["description"].as_str().unwrap_or("")),
                c = content.join("<br>"),
            );
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
    let _ = write!(
        out,
        "<h4>Example</h4>\n<pre><code>{}</code></pre>\n</article>\n",
        esc(&curl(doc, o, base).join("\n"))
    );
}

/// Example `curl` commands for an operation.
fn curl(doc: &Value, o: &Operation, base: &str) -> Vec<String> {
    let mut path = o.path.to_owned();
    for p in o.op["parameters"].as_array().into_iter().flatten() {
        if p["in"] == "path" {
            let name = p["name"].as_str().unwrap_or("");
            let value = if p["schema"]["type"] == "integer" {
                "1"
            } else {
                "netflix"
            };
            path = path.replace(&format!("{{{name}}}"), value);
        }
    }
    let url = format!("{base}{path}");
    let streams = o.op["responses"]["200"]["content"]
        .get("text/event-stream")
        .is_some();
    let mut first = match (o.method, streams) {
        ("get", true) => format!("curl -N '{url}'"),
        ("get", false) => format!("curl -s '{url}'"),
        (m, _) => format!("curl -s -X {} '{url}'", m.to_uppercase()),
    };
    if o.op["security"].is_array() {
        first.push_str(" \\\n  -H \"Authorization: Bearer $DOWNWATCH_ADMIN_TOKEN\"");
    }
    if let Some((kind, content)) = o.op["requestBody"]["content"]
        .as_object()
        .and_then(|c| c.iter().next())
    {
        let example = resolve(doc, &content["schema"])["example"].clone();
        if kind == "application/json" {
            let _ = write!(
                first,
                " \\\n  -H 'Content-Type: application/json' \\\n  -d '{}'",
                serde_json::to_string(&example).unwrap_or_default()
            );
        } else if let Some(fields) = example.as_object() {
            for (name, value) in fields {
                let values = match value {
                    Value::Array(list) => list.clone(),
                    other => vec![other.clone()],
                };
                for v in values {
                    let _ = write!(first, " \\\n  --data-urlencode '{name}={}'", plain(&v));
                }
            }
        }
    }
    let mut lines = vec![first];
    let csv = o.op["responses"]["200"]["content"]
        .get("text/csv")
        .is_some();
    if csv {
        lines.push(format!("curl -s '{url}?format=csv'"));
    }
    lines
}

fn schemas(out: &mut String, doc: &Value) {
    out.push_str("<section id=\"schemas\">\n<h2>Schemas</h2>\n");
    let Some(all) = doc["components"]["schemas"].as_object() else {
        out.push_str("</section>\n");
        return;
    };
    for (name, schema) in all {
        let _ = write!(
            out,
            "<article id=\"schema-{a}\">\n<h3>{n}</h3>\n{d}",
            a = anchor(name),
            n = esc(name),
            d = prose(schema["description"].as_str().unwrap_or("")),
        );
        match schema["properties"].as_object() {
            Some(props) => {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                out.push_str(
                    "<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">Field</th>\
                     <th scope=\"col\">Type</th><th scope=\"col\">Description</th></tr></thead>\n<tbody>\n",
                );
                for (field, s) in props {
                    let optional = if required.contains(&field.as_str()) {
                        ""
                    } else {
                        " <em>(may be absent)</em>"
                    };
                    let _ = writeln!(
                        out,
                        "<tr><td><code>{f}</code>{optional}</td><td>{t}</td><td>{d}</td></tr>",
                        f = esc(field),
                        t = type_label(s),
                        d = inline(s["description"].as_str().unwrap_or("")),
                    );
                }
                out.push_str("</tbody>\n</table></div>\n");
            }
            None => {
                let _ = writeln!(out, "<p>{}</p>", type_label(schema));
            }
        }
        if let Some(example) = schema.get("example") {
            let _ = writeln!(
                out,
                "<p>Example:</p>\n<pre><code>{}</code></pre>",
                esc(&serde_json::to_string_pretty(example).unwrap_or_default())
            );
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}
