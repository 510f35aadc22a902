//! Generates the Level Zero bindings at build time.
//!
//! 1. Finds the headers: `LEVEL_ZERO_INCLUDE_DIR` when set, else pkg-config `level-zero`.
//! 2. Runs bindgen over `ze_api.h`, `ze_ddi.h` and `loader/ze_loader.h`.
//! 3. Turns every C function declaration of the output into a field of the run-time
//!    table `Api` (see `src/loader.rs`), so that nothing is linked at build time.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::exit;

use quote::{format_ident, quote};

const INCLUDE_ENV: &str = "LEVEL_ZERO_INCLUDE_DIR";
const INSTALL_HINT: &str = "install Debian's `libze-dev` (apt-get install libze-dev pkg-config) \
     or set LEVEL_ZERO_INCLUDE_DIR to the folder that holds ze_api.h";

fn fail(message: &str) -> ! {
    eprintln!("\nlevel-zero-sys: {message}\n");
    exit(1);
}

fn include_dir() -> PathBuf {
    if let Some(dir) = env::var_os(INCLUDE_ENV) {
        let dir = PathBuf::from(dir);
        if !dir.join("ze_api.h").is_file() {
            fail(&format!(
                "{INCLUDE_ENV}={} does not contain ze_api.h; {INSTALL_HINT}",
                dir.display()
            ));
        }
        return dir;
    }
    let lib = pkg_config::Config::new()
        .cargo_metadata(false)
        .env_metadata(true)
        .probe("level-zero")
        .unwrap_or_else(|e| {
            fail(&format!(
                "the Level Zero headers were not found with pkg-config ({}); {INSTALL_HINT}",
                e.to_string().lines().next().unwrap_or("no details")
            ))
        });
    lib.include_paths
        .into_iter()
        .chain(["/usr/include/level_zero".into()])
        .find(|dir| dir.join("ze_api.h").is_file())
        .unwrap_or_else(|| {
            fail(&format!(
                "pkg-config names no folder with ze_api.h; {INSTALL_HINT}"
            ))
        })
}

fn run_bindgen(include: &Path) -> String {
    let builder = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_arg(format!("-I{}", include.display()))
        .allowlist_item("(ze|_ze|ZE|zel|_zel|ZEL)_?.*")
        .default_enum_style(bindgen::EnumVariation::NewType {
            is_bitfield: false,
            is_global: false,
        })
        .prepend_enum_name(false)
        .derive_default(true)
        .derive_debug(true)
        .derive_copy(true)
        .impl_debug(true)
        .layout_tests(true)
        .generate_cstr(true)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    // bindgen panics when libclang cannot be loaded; turn that into one clear line.
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || builder.generate()));
    let _ = std::panic::take_hook();
    match result {
        Ok(Ok(bindings)) => bindings.to_string(),
        Ok(Err(e)) => fail(&format!(
            "bindgen could not parse the Level Zero headers: {e}"
        )),
        Err(_) => fail(
            "libclang is missing, which bindgen needs: install Debian's `libclang-dev` \
             (or set LIBCLANG_PATH to the folder holding libclang.so)",
        ),
    }
}

/// Splits the bindgen output into types (kept as they are) and C function
/// declarations (turned into the run-time table); also returns the headers' API version.
/// Where a generated unsafe block's SAFETY comment goes, as `quote` prints it.
fn safety_mark() -> String {
    quote!(__safety_comment__!();).to_string()
}
/// The SAFETY comment of each generated call (`{name}`: the entry point).
const CALL_SAFETY: &str = "// SAFETY: `f` is the loader's `{name}`, of the headers' signature \
     (`Api::load`), and the loader outlives `self`; the caller meets `{name}`'s \
     specification (this method's `# Safety`).";
/// The SAFETY comment of bindgen's zeroing `Default` implementations.
const ZEROING_SAFETY: &str = "// SAFETY: the headers' structures are plain C data (integers, \
     raw pointers, nullable function pointers, enums as integer newtypes, arrays and unions \
     of those), for which all-zero bytes are a valid value; `s` is a local, valid for one \
     write of `Self`.";
/// The SAFETY comment of the symbol look-ups in `Api::load`.
const LOAD_SAFETY: &str = "// SAFETY: the caller passes a Level Zero loader whose symbols have \
     the headers' signatures, the types each `symbol` call names.";

fn generate(bindings: &str) -> (String, (u32, u32)) {
    let file = syn::parse_file(bindings)
        .unwrap_or_else(|e| fail(&format!("cannot read bindgen's output: {e}")));
    let mut items = Vec::new();
    let mut functions = Vec::new();
    for item in file.items {
        match item {
            syn::Item::ForeignMod(block) => {
                functions.extend(block.items.into_iter().filter_map(|f| match f {
                    syn::ForeignItem::Fn(f) => Some(f),
                    _ => None,
                }))
            }
            other => items.push(other),
        }
    }
    functions.sort_by_key(|f| f.sig.ident.to_string());

    let mut fields = Vec::new();
    let mut loads = Vec::new();
    let mut methods = Vec::new();
    let mut names = Vec::new();
    for f in &functions {
        let name = &f.sig.ident;
        let name_str = name.to_string();
        let symbol = syn::LitByteStr::new(format!("{name_str}\0").as_bytes(), name.span());
        let inputs = &f.sig.inputs;
        let output = &f.sig.output;
        let args: Vec<_> = inputs
            .iter()
            .map(|arg| match arg {
                syn::FnArg::Typed(t) => t.pat.clone(),
                syn::FnArg::Receiver(_) => fail("unexpected receiver in a C function"),
            })
            .collect();
        let docs: Vec<_> = f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .collect();
        let ret = match output {
            syn::ReturnType::Default => quote!(()),
            syn::ReturnType::Type(_, ty) => quote!(#ty),
        };
        let field_doc = format!("`{name_str}`, or `None` when the opened loader lacks it.");
        fields.push(quote! {
            #[doc = #field_doc]
            pub #name: Option<unsafe extern "C" fn(#inputs) #output>,
        });
        loads.push(quote! {
            #name: symbol(lib, #symbol),
        });
        let call_doc = format!(
            "Calls `{name_str}`.\n\n# Errors\n\n[`MissingFunction`] when the loader lacks `{name_str}`.\n\n\
             # Safety\n\nThe arguments must satisfy the Level Zero specification of `{name_str}` \
             (valid handles, pointers to live memory of the right size)."
        );
        // Comments are not tokens: the SAFETY comment of the call is spliced in as text,
        // on its own line right above the unsafe block (see `SAFETY_MARK`).
        let method = quote! {
            #(#docs)*
            #[doc = ""]
            #[doc = #call_doc]
            #[inline]
            pub unsafe fn #name(&self, #inputs) -> Result<#ret, MissingFunction> {
                match self.#name {
                    Some(f) => {
                        __safety_comment__!();
                        let result = unsafe { f(#(#args),*) };
                        Ok(result)
                    }
                    None => Err(MissingFunction { name: #name_str }),
                }
            }
        };
        methods.push(method.to_string().replace(
            &safety_mark(),
            &format!("\n{CALL_SAFETY}\n").replace("{name}", &name_str),
        ));
        names.push(name_str);
    }
    let count = functions.len();
    let table = quote! {
        /// Every entry point of the Level Zero headers, looked up in the loader at run time.
        ///
        /// A field is `None` when the loader that was opened does not export that function
        /// (an older loader); calling it through its method then returns [`MissingFunction`].
        #[derive(Clone, Copy)]
        pub struct Api {
            #(#fields)*
        }

        /// The names of every entry point in [`Api`], sorted.
        pub const FUNCTION_NAMES: [&str; #count] = [#(#names),*];

        impl Api {
            /// Looks every entry point up in `lib`.
            ///
            /// # Safety
            ///
            /// `lib` must be a Level Zero loader whose exported symbols have the
            /// signatures of the headers, and it must outlive the returned table.
            pub(crate) unsafe fn load(lib: &libloading::Library) -> Self {
                __safety_comment__!();
                unsafe { Api { #(#loads)* } }
            }

            __methods__!();
        }
    };
    let table = table
        .to_string()
        .replace(&safety_mark(), &format!("\n{LOAD_SAFETY}\n"))
        .replace(&quote!(__methods__!();).to_string(), &methods.join("\n"));
    let result_names = result_names(&items);
    let version = api_version(&items);
    let mut out = String::new();
    // bindgen's `Default` of a structure with pointers or unions zeroes it in an unsafe
    // block; its SAFETY comment is spliced in as text.
    let zeroing = "unsafe { :: std :: ptr :: write_bytes (s . as_mut_ptr () , 0 , 1) ;";
    let types = quote!(#(#items)*)
        .to_string()
        .replace(zeroing, &format!("\n{ZEROING_SAFETY}\n{zeroing}"));
    let _ = writeln!(out, "{types}");
    let _ = writeln!(out, "{table}");
    let _ = writeln!(out, "{result_names}");
    (out, version)
}

/// The headers' `ZE_API_VERSION_CURRENT` as `(major, minor)`.
fn api_version(items: &[syn::Item]) -> (u32, u32) {
    for item in items {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if !p.path.is_ident("_ze_api_version_t") {
            continue;
        }
        for it in &imp.items {
            let syn::ImplItem::Const(c) = it else {
                continue;
            };
            if c.ident != "ZE_API_VERSION_CURRENT" {
                continue;
            }
            // `_ze_api_version_t(65540)`: the packed version is the call's one argument.
            if let syn::Expr::Call(call) = &c.expr {
                if let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(v),
                    ..
                })) = call.args.first()
                {
                    if let Ok(packed) = v.base10_parse::<u32>() {
                        return (packed >> 16, packed & 0xffff);
                    }
                }
            }
        }
    }
    fail("the headers define no ZE_API_VERSION_CURRENT")
}

/// Generates `ze_result_t::name()` from the constants bindgen produced.
fn result_names(items: &[syn::Item]) -> proc_macro2::TokenStream {
    let mut arms = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for item in items {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if !p.path.is_ident("_ze_result_t") {
            continue;
        }
        for it in &imp.items {
            let syn::ImplItem::Const(c) = it else {
                continue;
            };
            let name = c.ident.to_string();
            let value = &c.expr;
            if name.ends_with("FORCE_UINT32") || !seen.insert(quote!(#value).to_string()) {
                continue;
            }
            let ident = format_ident!("{}", name);
            arms.push(quote!(_ze_result_t::#ident => Some(#name),));
        }
    }
    quote! {
        impl _ze_result_t {
            /// The specification's name of this code (`"ZE_RESULT_ERROR_UNKNOWN"`), or `None`
            /// for a value the headers do not define.
            pub fn name(self) -> Option<&'static str> {
                #[allow(unreachable_patterns)]
                match self {
                    #(#arms)*
                    _ => None,
                }
            }
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed={INCLUDE_ENV}");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=LIBCLANG_PATH");
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=build.rs");
    let include = include_dir();
    println!("cargo:include={}", include.display());
    // For this crate's tests, which check the bindings against the headers' text.
    println!(
        "cargo:rustc-env=LEVEL_ZERO_SYS_INCLUDE_DIR={}",
        include.display()
    );
    let bindings = run_bindgen(&include);
    let (generated, (major, minor)) = generate(&bindings);
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR is not set")));
    if let Err(e) = std::fs::write(out.join("bindings.rs"), generated) {
        fail(&format!("cannot write the bindings: {e}"));
    }
    // Dependants with a build script (the software driver) read the generated file.
    println!("cargo:bindings={}", out.join("bindings.rs").display());
    // ... and the headers' API version (DEP_LEVEL_ZERO_HEADERS_API_VERSION), e.g. `1.4`.
    println!("cargo:api_version={major}.{minor}");
}
