use clap::Parser;
use jobset_sim::cli::{main_with, Cli};

fn main() {
    let cli = Cli::parse();
    if let Err(e) = main_with(cli) {
        eprintln!("{e}");
        std::process::exit(e.exit_code());
    }
}
