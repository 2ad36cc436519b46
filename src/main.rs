//! The `firstline` binary: parse the command line and hand over to the library.
fn main() -> std::process::ExitCode {
    // A queue upgrade that rewrites every message (a rebuilt search index) says so
    // before it starts: on a large queue the first start after an update takes minutes.
    firstline::store::sqlite::set_upgrade_notice(|line| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "firstline: {line}");
    });
    firstline::cli::main()
}
