//! The `jobset-sim` command (README.md, `jobset-sim --help`).

mod huge_pages;

#[global_allocator]
static ALLOCATOR: huge_pages::HugePageHint = huge_pages::HugePageHint;

fn main() {
    huge_pages::enable_unless_opted_out();
    std::process::exit(jobset_sim::run_command_line());
}
