//! The library's top-level modules depend on each other as a tree from `main` down: no two
//! modules reach each other, directly or through others. A module's dependencies are the
//! top-level modules its code names (`crate::x`, `use crate::{x, …}`, `super::x` from a
//! top-level file); comments do not count.
//!
//! `cargo test --test module_graph -- --nocapture` prints the modules in layers, the ones
//! that depend on nothing first.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (line comments and doc comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string (a URL) would cut too much; good enough for paths.
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Identifiers that follow `prefix` in `code`.
fn names_after<'a>(code: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    code.match_indices(prefix).filter_map(move |(i, _)| {
        let rest = &code[i + prefix.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}

/// The top-level names of `use crate::{a, b::c, …};` groups.
fn grouped(code: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for (i, _) in code.match_indices("crate::{") {
        let body = &code[i + "crate::{".len()..];
        let mut depth = 0;
        let mut start = 0;
        for (j, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    names.push(body[start..j].trim());
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    names.push(body[start..j].trim());
                    start = j + 1;
                }
                _ => {}
            }
        }
    }
    names
        .into_iter()
        .filter_map(|n| n.split("::").next())
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "self")
        .collect()
}

fn graph(root: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let mut graph = Graph::new();
    for file in &files {
        let rel = file.strip_prefix(root).expect("under root");
        let mut parts = rel.iter().map(|p| p.to_string_lossy().into_owned());
        let first = parts.next().expect("a file");
        let top_file = rel.components().count() == 1;
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = code(&fs::read_to_string(file).expect("readable"));
        let deps = graph.entry(module.clone()).or_default();
        let mut named: Vec<&str> = names_after(&text, "crate::").collect();
        named.extend(grouped(&text));
        if top_file {
            named.extend(names_after(&text, "super::"));
        }
        for name in named {
            if name != module {
                deps.insert(name.to_owned());
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

/// The modules in layers: each layer depends only on the layers before it. What is left
/// when no layer can be peeled off any more sits on a cycle (or depends on one).
fn layers(graph: &Graph) -> (Vec<Vec<String>>, BTreeSet<String>) {
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut layers = Vec::new();
    loop {
        let layer: Vec<String> = graph
            .iter()
            .filter(|(m, deps)| !placed.contains(*m) && deps.iter().all(|d| placed.contains(d)))
            .map(|(m, _)| m.clone())
            .collect();
        if layer.is_empty() {
            break;
        }
        placed.extend(layer.iter().cloned());
        layers.push(layer);
    }
    let stuck = graph
        .keys()
        .filter(|m| !placed.contains(*m))
        .cloned()
        .collect();
    (layers, stuck)
}

#[test]
fn the_top_level_modules_form_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("server");
    let graph = graph(&root);
    let (layers, stuck) = layers(&graph);
    for (i, layer) in layers.iter().enumerate() {
        println!("layer {i}:");
        for module in layer {
            let deps: Vec<&str> = graph[module].iter().map(String::as_str).collect();
            println!("  {module:<10} -> {}", deps.join(", "));
        }
    }
    let cycles: Vec<String> = stuck
        .iter()
        .map(|m| {
            let deps: Vec<&str> = graph[m]
                .iter()
                .filter(|d| stuck.contains(*d))
                .map(String::as_str)
                .collect();
            format!("{m} -> {}", deps.join(", "))
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "modules on (or above) a cycle:\n{}",
        cycles.join("\n")
    );
    assert!(graph.len() > 10, "the scan found the modules: {graph:?}");
}

#[test]
fn the_scan_sees_plain_grouped_and_super_paths_but_not_comments() {
    let text = code(
        "use crate::{a::X, b, c::{D, E}};\nlet x = crate::f::g();\n// crate::h\n/// [`crate::i`]\n",
    );
    let mut names: Vec<&str> = names_after(&text, "crate::").collect();
    names.extend(grouped(&text));
    names.sort();
    names.dedup();
    assert_eq!(names, ["a", "b", "c", "f"]);
}
