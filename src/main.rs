//! `usm`: inspect Level Zero drivers and devices, and exercise USM memory.
fn main() {
    match level_zero_sys::Loader::global() {
        Ok(loader) => println!("loader opened: {}", loader.path().display()),
        Err(e) => {
            eprintln!("usm: {e}");
            std::process::exit(1);
        }
    }
}
