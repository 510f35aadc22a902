//! The module graph of usm-core has no cycle: no top-level module imports, directly or
//! through others, a module that imports it back. Read from the sources (the `use`
//! declarations of `crate::` paths; re-exports, `pub use`, are not dependencies).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use usm_test_kit::graph;

/// The `use` declarations of `text` outside its unit tests, each as one string, with
/// whether it is a re-export.
fn uses(text: &str) -> Vec<(bool, String)> {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let prefix = before[line_start..].trim();
        rest = &rest[at + 4..];
        let is_decl = prefix.is_empty() || prefix.starts_with("pub");
        let Some(end) = rest.find(';') else { break };
        if is_decl {
            out.push((
                prefix.starts_with("pub"),
                rest[..end].split_whitespace().collect(),
            ));
        }
    }
    out
}

/// The top-level modules a `use` tree starting `crate::` names (names re-exported at the
/// crate root are looked up in `root`).
fn named_modules(
    tree: &str,
    root: &BTreeMap<String, String>,
    modules: &BTreeSet<String>,
) -> Vec<String> {
    let Some(path) = tree.strip_prefix("crate::") else {
        return Vec::new();
    };
    let first = path.split("::").next().unwrap_or("");
    if let Some(inner) = first.strip_prefix('{') {
        return inner
            .trim_end_matches('}')
            .split(',')
            .filter_map(|item| {
                let name = item.split("::").next().unwrap_or("").trim();
                if modules.contains(name) {
                    Some(name.to_string())
                } else {
                    root.get(name).cloned()
                }
            })
            .collect();
    }
    if modules.contains(first) {
        vec![first.to_string()]
    } else {
        root.get(first).cloned().into_iter().collect()
    }
}

#[test]
fn usm_core_has_no_module_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = graph::sources(&src);
    let top = |p: &Path| graph::top_module(&src, p);
    let modules = graph::modules(&src, &files);
    // Names the crate root re-exports, by the module they come from.
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let mut root = BTreeMap::new();
    for (_, tree) in uses(&lib) {
        let module = tree.split("::").next().unwrap_or("").to_string();
        if !modules.contains(&module) {
            continue;
        }
        let names = tree[module.len()..].trim_start_matches("::");
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            root.insert(name.trim().to_string(), module.clone());
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = top(file);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a source file");
        for (reexport, tree) in uses(&text) {
            if reexport {
                continue;
            }
            for to in named_modules(&tree, &root, &modules) {
                if to != from {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    assert!(edges.len() > 10, "the graph was read: {edges:?}");
    if let Some(cycle) = graph::find_cycle(&modules, &edges) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
    // The bottom of the graph stays at the bottom.
    for leaf in ["names", "registry"] {
        assert!(
            !edges.contains_key(leaf),
            "{leaf} imports {:?}",
            edges[leaf]
        );
    }
    assert_eq!(
        edges.get("error").cloned().unwrap_or_default(),
        BTreeSet::from(["names".to_string()]),
        "errors import only the plain names"
    );
    assert_eq!(
        edges.get("result").cloned().unwrap_or_default(),
        BTreeSet::from(["error".to_string()]),
        "the result layer imports only the errors"
    );
}
