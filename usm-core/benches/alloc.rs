//! 4 KiB device allocation + free: usm-core against raw level-zero-sys calls.
fn main() {}
