//! Generates the driver's DDI tables from the headers level-zero-sys was built with.
//!
//! level-zero-sys publishes the path of its bindgen output (`DEP_LEVEL_ZERO_HEADERS_BINDINGS`)
//! and the headers' API version (`DEP_LEVEL_ZERO_HEADERS_API_VERSION`). From them this script
//! writes `tables.rs`, included by `src/ddi.rs`:
//!
//! * for every function-pointer type `ze_pfn*_t` used in a table, one `extern "C"` function
//!   of exactly that signature that answers "unsupported": `ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`,
//!   or a null handle for the entries that return a handle (`zeDriverGetDefaultContext`);
//! * for every core table `_ze_*_dditable_t`, an implementation of `ddi::Table`: the API
//!   version that introduced each entry, in field order (from `ddi-versions.txt`), and a
//!   `fill_unsupported` that points every entry at its "unsupported" function;
//! * `impl ddi::Wire for T {}` (nothing implemented) for every table not in [`WIRED`];
//! * for every `zeGet*ProcAddrTable` the headers declare, the exported function the loader
//!   calls, which hands the table to `ddi::provide`.
//!
//! It also sets `cfg(ze_api = "1.N")` for every API version up to the headers' own, so code
//! for newer entry points compiles only against headers that declare them, and links the
//! shared library with `-z nodelete` (see `main`).

use std::collections::BTreeMap;
use std::env;
use std::path::PathBuf;
use std::process::exit;

use quote::{format_ident, quote};

/// The tables whose entries this driver implements: `src/ddi.rs` implements `Wire` for
/// each (those absent from older headers are skipped here and `cfg`-gated there).
const WIRED: &[&str] = &[
    "ze_global_dditable_t",
    "ze_driver_dditable_t",
    "ze_device_dditable_t",
    "ze_context_dditable_t",
    "ze_command_queue_dditable_t",
    "ze_command_list_dditable_t",
    "ze_command_list_exp_dditable_t",
    "ze_event_dditable_t",
    "ze_event_exp_dditable_t",
    "ze_event_pool_dditable_t",
    "ze_fence_dditable_t",
    "ze_mem_dditable_t",
    "ze_mem_exp_dditable_t",
    "ze_virtual_mem_dditable_t",
    "ze_physical_mem_dditable_t",
];

/// The highest minor version `cfg(ze_api = ...)` may name (declared for check-cfg).
const HIGHEST_KNOWN_MINOR: u32 = 63;

fn fail(message: &str) -> ! {
    eprintln!("\nze-soft: {message}\n");
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

/// The last path segment of a type (`ze_mem_dditable_t` for `*mut ze_mem_dditable_t`).
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Ptr(p) => type_name(&p.elem),
        _ => None,
    }
}

/// `(major, minor)` from `"1.17"`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn packed((major, minor): (u32, u32)) -> u32 {
    (major << 16) | minor
}

/// `ddi-versions.txt`: table → entry → version.
fn entry_versions(text: &str) -> BTreeMap<String, BTreeMap<String, (u32, u32)>> {
    let mut tables: BTreeMap<String, BTreeMap<String, (u32, u32)>> = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [table, entry, version] = fields[..] else {
            fail(&format!(
                "ddi-versions.txt:{}: expected `table entry version`",
                number + 1
            ))
        };
        let version = parse_version(version).unwrap_or_else(|| {
            fail(&format!(
                "ddi-versions.txt:{}: bad version `{version}`",
                number + 1
            ))
        });
        tables
            .entry(table.to_string())
            .or_default()
            .insert(entry.to_string(), version);
    }
    tables
}

/// The C name of the function behind a pointer type: `ze_pfnMemAllocDevice_t` → `zeMemAllocDevice`.
fn c_name(alias: &str) -> String {
    let inner = alias
        .strip_prefix("ze_pfn")
        .and_then(|s| s.strip_suffix("_t"))
        .unwrap_or(alias);
    format!("ze{inner}")
}

struct Bindings {
    /// Function-pointer aliases: name → bare fn type.
    pfns: BTreeMap<String, syn::TypeBareFn>,
    /// Tables (by alias, `ze_mem_dditable_t`): their entries in order, `(field, pfn alias)`.
    tables: BTreeMap<String, Vec<(syn::Ident, String)>>,
}

fn read_bindings(file: &syn::File) -> Bindings {
    let mut pfns = BTreeMap::new();
    let mut tables = BTreeMap::new();
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
                let Some(alias) = name
                    .strip_prefix('_')
                    .filter(|n| n.starts_with("ze_") && n.ends_with("_dditable_t"))
                else {
                    continue;
                };
                let syn::Fields::Named(fields) = &s.fields else {
                    continue;
                };
                let entries: Vec<(syn::Ident, String)> = fields
                    .named
                    .iter()
                    .filter_map(|f| Some((f.ident.clone()?, type_name(&f.ty)?)))
                    .collect();
                // The aggregate tables hold tables (or a version), not functions.
                if entries.len() == fields.named.len()
                    && entries.iter().all(|(_, a)| a.starts_with("ze_pfn"))
                {
                    tables.insert(alias.to_string(), entries);
                }
            }
            _ => {}
        }
    }
    if tables.is_empty() {
        fail("the bindings hold no DDI table");
    }
    Bindings { pfns, tables }
}

/// The "unsupported" function for one pointer type.
fn stub(alias: &str, f: &syn::TypeBareFn) -> proc_macro2::TokenStream {
    let ident = format_ident!("unsupported_{}", alias);
    let params: Vec<_> = f
        .inputs
        .iter()
        .map(|arg| {
            let ty = &arg.ty;
            quote!(_: #ty)
        })
        .collect();
    let name = c_name(alias);
    let doc = format!("`{name}`: this driver does not implement the function.");
    let syn::ReturnType::Type(_, ret) = &f.output else {
        fail(&format!("{alias} returns nothing"))
    };
    let ret_name = type_name(ret).unwrap_or_default();
    if ret_name == "ze_result_t" {
        quote! {
            #[doc = #doc]
            unsafe extern "C" fn #ident(#(#params),*) -> ze_result_t {
                crate::ffi::unsupported(#name)
            }
        }
    } else if ret_name.ends_with("_handle_t") {
        quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = "It returns a null handle, the function's way of failing."]
            unsafe extern "C" fn #ident(#(#params),*) -> #ret {
                crate::ffi::unsupported(#name);
                ::std::ptr::null_mut()
            }
        }
    } else {
        fail(&format!(
            "{alias} returns {ret_name}: no \"unsupported\" answer is known for that type"
        ))
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=ddi-versions.txt");
    // The loader unloads a driver whose zeInit declined (for example with
    // ZE_INIT_FLAG_VPU_ONLY) but keeps calling the table entries it copied; worker threads
    // may also still run at unload. Marked "nodelete", the library stays mapped after
    // dlclose, so those calls answer an error code instead of jumping into unmapped code.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rerun-if-env-changed=DEP_LEVEL_ZERO_HEADERS_BINDINGS");
    println!("cargo:rerun-if-env-changed=DEP_LEVEL_ZERO_HEADERS_API_VERSION");

    let headers = env::var("DEP_LEVEL_ZERO_HEADERS_API_VERSION")
        .ok()
        .and_then(|v| parse_version(&v))
        .unwrap_or_else(|| fail("level-zero-sys did not publish its headers' API version"));
    let values: Vec<String> = (0..=HIGHEST_KNOWN_MINOR.max(headers.1))
        .map(|minor| format!("\"{}.{minor}\"", headers.0))
        .collect();
    println!(
        "cargo:rustc-check-cfg=cfg(ze_api, values({}))",
        values.join(", ")
    );
    for minor in 0..=headers.1 {
        println!("cargo:rustc-cfg=ze_api=\"{}.{minor}\"", headers.0);
    }

    let path = env::var_os("DEP_LEVEL_ZERO_HEADERS_BINDINGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| fail("level-zero-sys did not publish its bindings"));
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
    let file = syn::parse_file(&text).unwrap_or_else(|e| fail(&format!("cannot parse: {e}")));
    let bindings = read_bindings(&file);
    let versions_text = std::fs::read_to_string("ddi-versions.txt")
        .unwrap_or_else(|e| fail(&format!("cannot read ddi-versions.txt: {e}")));
    let versions = entry_versions(&versions_text);

    let mut used = BTreeMap::new();
    let mut impls = Vec::new();
    for (table, entries) in &bindings.tables {
        let table_ident = format_ident!("{}", table);
        let known = versions.get(table);
        let mut sets = Vec::new();
        let mut entry_versions = Vec::new();
        let mut previous = (0, 0);
        for (field, alias) in entries {
            let Some(f) = bindings.pfns.get(alias) else {
                fail(&format!("{table}.{field}: no function type {alias}"))
            };
            let stub = format_ident!("unsupported_{}", alias);
            used.insert(alias.clone(), f.clone());
            sets.push(quote!(self.#field = Some(#stub);));
            let version = known
                .and_then(|k| k.get(&field.to_string()))
                .copied()
                .unwrap_or(headers);
            if version < previous {
                fail(&format!(
                    "ddi-versions.txt: {table}.{field} ({}.{}) is older than the entry before it; \
                     tables grow at their end only",
                    version.0, version.1
                ));
            }
            previous = version;
            entry_versions.push(packed(version));
        }
        let count = entries.len();
        let name = table.as_str();
        impls.push(quote! {
            impl Table for #table_ident {
                const NAME: &'static str = #name;
                const ENTRY_VERSIONS: &'static [u32] = &[#(#entry_versions),*];
                fn fill_unsupported(&mut self) {
                    #(#sets)*
                }
            }
            const _: () = assert!(
                ::std::mem::size_of::<#table_ident>() == #count * ::std::mem::size_of::<Entry>()
            );
        });
        if !WIRED.contains(&name) {
            impls.push(quote!(impl Wire for #table_ident {}));
        }
    }

    // The exported getters: `ze_pfnGetMemProcAddrTable_t` = fn(version, *mut ze_mem_dditable_t).
    let mut getters = Vec::new();
    for (alias, f) in &bindings.pfns {
        let Some(inner) = alias
            .strip_prefix("ze_pfnGet")
            .and_then(|s| s.strip_suffix("ProcAddrTable_t"))
        else {
            continue;
        };
        let Some(table) = f.inputs.iter().nth(1).and_then(|a| type_name(&a.ty)) else {
            continue;
        };
        if !bindings.tables.contains_key(&table) {
            continue;
        }
        let name = format_ident!("zeGet{}ProcAddrTable", inner);
        let table_ident = format_ident!("{}", table);
        let doc = format!(
            "`{name}`: fills the loader's `{table}` with this driver's entry points, only the \
             entries that exist in the requested API version."
        );
        getters.push(quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = "# Safety"]
            #[doc = ""]
            #[doc = "`table` is null or points to a writable table holding at least the entries of the requested `version`."]
            #[no_mangle]
            pub unsafe extern "C" fn #name(version: ze_api_version_t, table: *mut #table_ident) -> ze_result_t {
                __safety_comment__!();
                unsafe { provide(version, table) }
            }
        });
    }
    if getters.is_empty() {
        fail("the bindings declare no zeGet*ProcAddrTable function");
    }

    let stubs = used.iter().map(|(alias, f)| stub(alias, f));
    let out = quote! {
        #(#stubs)*
        #(#impls)*
        #(#getters)*
    };
    let dir = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR is not set")));
    // Comments are not tokens: each getter's SAFETY comment is spliced in as text, on
    // its own line right above its unsafe block.
    let out = out.to_string().replace(
        &quote!(__safety_comment__!();).to_string(),
        "\n// SAFETY: the caller's guarantee (this getter's `# Safety`) is `provide`'s.\n",
    );
    if let Err(e) = std::fs::write(dir.join("tables.rs"), out) {
        fail(&format!("cannot write tables.rs: {e}"));
    }
}
