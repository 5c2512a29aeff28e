//! The `recap` binary: everything lives in the library; this maps its result to an exit code.

fn main() -> std::process::ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    recap::run(std::env::args_os(), &mut stdout, &mut stderr).into()
}
