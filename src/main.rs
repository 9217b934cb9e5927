//! The `jobset-sim` command (README.md, `jobset-sim --help`).

fn main() {
    std::process::exit(jobset_sim::run_command_line());
}
