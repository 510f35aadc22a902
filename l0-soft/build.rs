//! Generates the "unsupported feature" entries of every DDI table.
//!
//! level-zero-sys publishes the path of its bindgen output (`DEP_LEVEL_ZERO_HEADERS_BINDINGS`).
//! For every function-pointer type `ze_pfn*_t` of that file this script writes one
//! `extern "C"` function of exactly that signature that returns
//! `ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`, and for every table `_ze_*_dditable_t` an
//! implementation of `FillUnsupported` that points each entry at its function. The driver
//! fills a table with these first, then overrides the entries it implements.
//!
//! It also links the shared library with `-z nodelete` (see `main`).

use std::collections::BTreeMap;
use std::env;
use std::path::PathBuf;
use std::process::exit;

use quote::{format_ident, quote};

fn fail(message: &str) -> ! {
    eprintln!("\nlevel-zero-soft: {message}\n");
    exit(1);
}

/// `Option<unsafe extern "C" fn(...) -> R>` → the bare function type.
fn bare_fn(ty: &syn::Type) -> Option<&syn::TypeBareFn> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(syn::Type::BareFn(f)) => Some(f),
        _ => None,
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The loader unloads a driver whose zeInit declined (for example with
    // ZE_INIT_FLAG_VPU_ONLY) but keeps calling the table entries it copied; worker threads
    // may also still run at unload. Marked "nodelete", the library stays mapped after
    // dlclose, so those calls answer an error code instead of jumping into unmapped code.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rerun-if-env-changed=DEP_LEVEL_ZERO_HEADERS_BINDINGS");
    let path = env::var_os("DEP_LEVEL_ZERO_HEADERS_BINDINGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| fail("level-zero-sys did not publish its bindings"));
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
    let file = syn::parse_file(&text).unwrap_or_else(|e| fail(&format!("cannot parse: {e}")));

    // Function-pointer aliases: name -> bare fn type.
    let mut pfns: BTreeMap<String, syn::TypeBareFn> = BTreeMap::new();
    // Tables: struct name -> [(field, alias)].
    let mut tables: BTreeMap<String, Vec<(syn::Ident, String)>> = BTreeMap::new();
    for item in &file.items {
        match item {
            syn::Item::Type(t) => {
                let name = t.ident.to_string();
                if name.starts_with("ze_pfn") {
                    if let Some(f) = bare_fn(&t.ty) {
                        pfns.insert(name, f.clone());
                    }
                }
            }
            syn::Item::Struct(s) => {
                let name = s.ident.to_string();
                if !(name.starts_with("_ze_") && name.ends_with("_dditable_t")) {
                    continue;
                }
                let syn::Fields::Named(fields) = &s.fields else {
                    continue;
                };
                let mut entries = Vec::new();
                for field in &fields.named {
                    let Some(ident) = field.ident.clone() else {
                        continue;
                    };
                    let syn::Type::Path(p) = &field.ty else {
                        fail(&format!("{name}.{ident} is not a named type"))
                    };
                    let alias = p
                        .path
                        .segments
                        .last()
                        .map(|s| s.ident.to_string())
                        .unwrap_or_default();
                    entries.push((ident, alias));
                }
                // The aggregate `_ze_dditable_t` holds tables, not functions.
                if entries.iter().all(|(_, alias)| alias.starts_with("ze_pfn")) {
                    tables.insert(name, entries);
                }
            }
            _ => {}
        }
    }
    if tables.is_empty() {
        fail("the bindings hold no DDI table");
    }

    let mut used = BTreeMap::new();
    let mut impls = Vec::new();
    for (table, entries) in &tables {
        let table_ident = format_ident!("{}", table);
        let mut sets = Vec::new();
        for (field, alias) in entries {
            let Some(f) = pfns.get(alias) else {
                fail(&format!("{table}.{field}: no function type {alias}"))
            };
            let stub = format_ident!("unsupported_{}", alias);
            used.insert(alias.clone(), f.clone());
            sets.push(quote!(self.#field = Some(#stub);));
        }
        impls.push(quote! {
            impl FillUnsupported for #table_ident {
                fn fill_unsupported(&mut self) {
                    #(#sets)*
                }
            }
        });
    }
    let mut stubs = Vec::new();
    for (alias, f) in &used {
        let stub = format_ident!("unsupported_{}", alias);
        let params: Vec<_> = f
            .inputs
            .iter()
            .map(|arg| {
                let ty = &arg.ty;
                quote!(_: #ty)
            })
            .collect();
        match &f.output {
            syn::ReturnType::Type(_, ty) if quote!(#ty).to_string() == "ze_result_t" => {}
            _ => fail(&format!("{alias} does not return ze_result_t")),
        }
        let doc = format!("`{alias}`: this driver does not implement the function.");
        stubs.push(quote! {
            #[doc = #doc]
            unsafe extern "C" fn #stub(#(#params),*) -> ze_result_t {
                ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE
            }
        });
    }
    let out = quote! {
        #(#stubs)*
        #(#impls)*
    };
    let dir = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR is not set")));
    if let Err(e) = std::fs::write(dir.join("unsupported.rs"), out.to_string()) {
        fail(&format!("cannot write unsupported.rs: {e}"));
    }
}
