//! The `dui-conform` binary: everything is in the library; see `dui_conform::cli`.

fn main() -> std::process::ExitCode {
    dui_conform::cli::run()
}
