//! `spacelinks`: the server (`serve`) and a command-line client for any
//! DocSpace-compatible portal.

mod serve;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "spacelinks", version, about = "Self-hosted file sharing with DocSpace-compatible external links")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args),
    }
}
