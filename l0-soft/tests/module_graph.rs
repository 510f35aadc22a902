//! The module graph of the driver has no cycle: no top-level module of `l0-soft/src`
//! refers, directly or through others, to a module that refers back to it. Read from the
//! sources: every `crate::` path outside comments and unit tests, in `use` declarations
//! and inline alike. Only `ddi` wires tables: no other module names another module's
//! `fill_*table` function.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file: without its unit tests and without line comments (doc links name
/// modules without depending on them).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first segment of every path after `crate::` in `code`, with the path's second
/// segment (`("memory", "lookup")` for `crate::memory::lookup`); groups
/// (`crate::{a, b::c}`) give one entry per member.
fn crate_paths(code: &str) -> Vec<(String, String)> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let split = |path: &str| -> (String, String) {
        let path: String = path.split_whitespace().collect();
        let first = ident(&path);
        let rest = path[first.len()..].trim_start_matches("::");
        (first, ident(rest.trim_start_matches('{')))
    };
    // The top-level members of a `{...}` group at the start of `text`, and its length.
    let group = |text: &str| -> (Vec<String>, usize) {
        let mut members = Vec::new();
        let mut member = String::new();
        let mut depth = 0;
        for (i, c) in text.char_indices() {
            match c {
                '{' => {
                    depth += 1;
                    if depth == 1 {
                        continue;
                    }
                }
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        members.push(std::mem::take(&mut member));
                        return (members, i + 1);
                    }
                }
                ',' if depth == 1 => {
                    members.push(std::mem::take(&mut member));
                    continue;
                }
                _ => {}
            }
            member.push(c);
        }
        (members, text.len())
    };
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if rest.starts_with('{') {
            let (members, _) = group(rest);
            out.extend(members.iter().map(|m| split(m)));
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let (first, second) = split(&rest[..end]);
        if second.is_empty() && rest[end..].starts_with('{') {
            let (members, _) = group(&rest[end..]);
            out.extend(members.iter().map(|m| (first.clone(), ident(m.trim()))));
        } else {
            out.push((first, second));
        }
    }
    out.retain(|(m, _)| !m.is_empty());
    out
}

#[test]
fn the_driver_has_no_module_cycle_and_only_ddi_wires_tables() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let top = |p: &Path| -> String {
        let rel = p.strip_prefix(&src).expect("inside src");
        let first = rel.components().next().expect("a component");
        first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top(f))
        .filter(|m| m != "lib")
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wiring = Vec::new();
    for file in &files {
        let from = top(file);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a source file");
        for (to, item) in crate_paths(&code(&text)) {
            assert!(
                modules.contains(&to),
                "{}: crate::{to} is not a module",
                file.display()
            );
            if to == from {
                continue;
            }
            if item.starts_with("fill_") && item.ends_with("table") && from != "ddi" {
                wiring.push(format!("{from} calls {to}::{item}"));
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    assert!(edges.len() > 15, "the graph was read: {edges:?}");
    assert!(wiring.is_empty(), "tables wired outside ddi: {wiring:?}");
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in &modules {
        if let Some(cycle) = visit(m, &edges, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
    // The bottom of the graph stays at the bottom, and nothing reaches up to the tables.
    let imports = |m: &str| edges.get(m).cloned().unwrap_or_default();
    assert!(
        imports("ffi").is_empty(),
        "ffi imports {:?}",
        imports("ffi")
    );
    for leaf in ["handle", "sync", "host_memory"] {
        assert_eq!(imports(leaf), BTreeSet::from(["ffi".to_string()]), "{leaf}");
    }
    assert!(
        imports("config").is_empty(),
        "config imports {:?}",
        imports("config")
    );
    for (from, to) in &edges {
        assert!(!to.contains("ddi"), "{from} imports ddi");
    }
}

#[test]
fn paths_are_read_from_uses_groups_and_inline_code() {
    let code = code(
        "use crate::a::{x, y};\nuse crate::{b, c::{d, e}, f::fill_table};\n\
         // crate::commented\nlet v = crate::g::h(crate::i::J);\n",
    );
    let found = crate_paths(&code);
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|(m, i)| (m.as_str(), i.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("a", "x"),
            ("a", "y"),
            ("b", ""),
            ("c", "d"),
            ("f", "fill_table"),
            ("g", "h"),
            ("i", "J")
        ]
    );
}
