//! The `downwatch` binary: the command line lives in the library ([`downwatch::cli`]).

use std::process::ExitCode;

fn main() -> ExitCode {
    downwatch::cli::run(downwatch::cli::Cli::parse_or_serve())
}
