//! A crate's module graph read from its sources, and the search for an import cycle, for
//! the module-graph tests (each crate reads its own kind of paths into edges).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges between top-level modules: each module and the modules it imports.
pub type Edges = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `dir`, in the order the folders list them.
pub fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module that `file` (under `src`) belongs to: `memory` for
/// `src/memory.rs` and `src/memory/alloc.rs`, `lib` for the crate root.
pub fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("inside src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

/// The top-level modules of the sources (the crate root aside).
pub fn modules(src: &Path, files: &[PathBuf]) -> BTreeSet<String> {
    files
        .iter()
        .map(|f| top_module(src, f))
        .filter(|m| m != "lib")
        .collect()
}

/// An import cycle among `modules` (`a -> b -> a`), if there is one: a depth-first search
/// for a back edge.
pub fn find_cycle(modules: &BTreeSet<String>, edges: &Edges) -> Option<Vec<String>> {
    let mut done = BTreeSet::new();
    modules
        .iter()
        .find_map(|m| visit(m, edges, &mut Vec::new(), &mut done))
}

fn visit(
    m: &str,
    edges: &Edges,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(pairs: &[(&str, &str)]) -> Edges {
        let mut out = Edges::new();
        for (a, b) in pairs {
            out.entry(a.to_string()).or_default().insert(b.to_string());
        }
        out
    }

    #[test]
    fn a_cycle_is_found_and_a_tree_has_none() {
        let modules: BTreeSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            find_cycle(&modules, &edges(&[("a", "b"), ("b", "c"), ("c", "a")])),
            Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
        assert_eq!(
            find_cycle(&modules, &edges(&[("a", "b"), ("a", "c"), ("b", "c")])),
            None
        );
    }
}
