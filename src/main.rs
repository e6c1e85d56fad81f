//! The `dhcpstats` binary: everything is in the library; this only hands
//! over the arguments and returns the exit code.

#![forbid(unsafe_code)]

fn main() {
    let code = dhcpstats::cli::main_with_args(std::env::args_os().skip(1));
    std::process::exit(code);
}
