fn main() {
    std::process::exit(stacklint::cli::main());
}
