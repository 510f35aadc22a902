//! The bindgen output: every type, constant and DDI table of the Level Zero headers, and the
//! generated [`Api`] table of entry points.
#![allow(
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    dead_code,
    clippy::all,
    clippy::pedantic,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls,
    rustdoc::invalid_rust_codeblocks
)]

use crate::loader::{symbol, MissingFunction};

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
