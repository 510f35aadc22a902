//! Build facts for the root `usm` package: only the profile it was built with,
//! so the CLI can find the software driver built next to it.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let profile = std::env::var("PROFILE").unwrap_or_else(|_| "debug".into());
    println!("cargo:rustc-env=USM_BUILD_PROFILE={profile}");
}
