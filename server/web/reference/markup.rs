//! Small text helpers of the reference page: HTML escaping, the bits of Markdown that the
//! document's descriptions use, and schemas in a few words.

use std::fmt::Write;

use serde_json::Value;

/// The schema a `$ref` points at (or the schema itself).
pub(super) fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

/// A schema in a few words of HTML: links for references, enums spelled out.
pub(super) fn type_label(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{}\">{}</a>", anchor(name), esc(name));
    }
    for (key, word) in [("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")] {
        if let Some(list) = s[key].as_array() {
            let labels: Vec<String> = list.iter().map(type_label).collect();
            return labels.join(word);
        }
    }
    if let Some(values) = s["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&plain(v))))
            .collect();
        return format!("one of {}", values.join(", "));
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        return "any".into();
    }
    let labels: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "array" => format!("array of {}", type_label(&s["items"])),
            "string" => match s["format"].as_str() {
                Some(f) => format!("string ({})", esc(f)),
                None => "string".into(),
            },
            other => esc(other),
        })
        .collect();
    labels.join(" or ")
}

/// A JSON value as plain text: strings without their quotes.
pub(super) fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Paragraphs and `- ` lists of a description.
pub(super) fn prose(text: &str) -> String {
    let mut out = String::new();
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let lines: Vec<&str> = block.lines().collect();
        if lines.iter().all(|l| l.trim_start().starts_with("- ")) {
            out.push_str("<ul>\n");
            for l in lines {
                let _ = writeln!(out, "<li>{}</li>", inline(&l.trim_start()[2..]));
            }
            out.push_str("</ul>\n");
        } else {
            let _ = writeln!(out, "<p>{}</p>", inline(&block.replace('\n', " ")));
        }
    }
    out
}

/// Escapes text and renders `code`, **strong** and *emphasis* spans.
pub(super) fn inline(text: &str) -> String {
    let escaped = esc(text);
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len().is_multiple_of(2) {
        // An unmatched backtick: show the text as it is.
        return emphasis(&escaped);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                format!("<code>{p}</code>")
            } else {
                emphasis(p)
            }
        })
        .collect()
}

pub(super) fn emphasis(text: &str) -> String {
    let wrap = |text: &str, mark: &str, tag: &str| {
        let parts: Vec<&str> = text.split(mark).collect();
        if parts.len().is_multiple_of(2) {
            return text.to_owned();
        }
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i % 2 == 1 {
                    format!("<{tag}>{p}</{tag}>")
                } else {
                    (*p).to_owned()
                }
            })
            .collect()
    };
    wrap(&wrap(text, "**", "strong"), "*", "em")
}

pub(super) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An HTML id made of letters, digits, dashes and underscores.
pub(super) fn anchor(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn descriptions_render_code_and_emphasis_escaped() {
        assert_eq!(
            inline("**Reports**, not `<users>` *ever*"),
            "<strong>Reports</strong>, not <code>&lt;users&gt;</code> <em>ever</em>"
        );
        assert_eq!(inline("a `b"), "a `b");
        assert_eq!(
            prose("- one\n- two"),
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        );
    }

    #[test]
    fn schema_labels_spell_out_references_enums_and_nulls() {
        let s = json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Evidence"}]});
        assert_eq!(
            type_label(&s),
            "null or <a href=\"#schema-Evidence\">Evidence</a>"
        );
        let s = json!({"type": ["string", "null"], "format": "date-time"});
        assert_eq!(type_label(&s), "string (date-time) or null");
        let s = json!({"type": "string", "enum": ["ok", "problems"]});
        assert_eq!(
            type_label(&s),
            "one of <code>ok</code>, <code>problems</code>"
        );
    }
}
