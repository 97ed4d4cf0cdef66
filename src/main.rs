// mimalloc: the pipeline makes many small allocations (tokens, directives, findings); with glibc's
// allocator malloc/free were 15% of a whole lint of the benchmark tree (see README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(stacklint::cli::main());
}
