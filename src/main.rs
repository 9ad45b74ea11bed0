//! The `sfjira` command line.
fn main() {}
