//! `spacelinks`: the server (`serve`) and a command-line client for any
//! DocSpace-compatible portal (`files`, `links`, `share`). The client speaks
//! HTTP only and depends on `spacelinks-api-types`, never on server code.

mod activity;
mod client;
mod error;
mod files;
mod fsck;
mod links;
mod ops;
mod output;
mod serve;
mod share;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use crate::error::{CliResult, EXIT_CODES_HELP};

/// mimalloc rather than glibc's malloc: the server's request path is
/// allocation-heavy (a fifth of its CPU time went to glibc's malloc and free
/// in `bench/run`'s profile), and glibc kept the memory of every large
/// buffer ever freed (Argon2id's 19 MiB, upload parts) resident for good.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AFTER_HELP: &str = "\
Client configuration (files, links, share):
  --url      or SPACELINKS_URL, DOCSPACE_URL          the portal, e.g. https://docs.example.com
  --api-key  or SPACELINKS_API_KEY, DOCSPACE_API_KEY  an API key (sk-...); it is never printed

Examples:
  spacelinks serve --data-dir /var/lib/spacelinks
  export SPACELINKS_URL=http://127.0.0.1:8080 SPACELINKS_API_KEY=sk-...
  spacelinks share report.pdf --expires 7d --password-prompt --qr
  spacelinks links ls 42
  spacelinks links set 42 LINK_ID --deny-download
  spacelinks completions bash > ~/.local/share/bash-completion/completions/spacelinks
";

#[derive(Parser)]
#[command(
    name = "spacelinks",
    version,
    about = "Self-hosted file sharing with DocSpace-compatible external links",
    after_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"),
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Check the database against the blob store; `--repair` removes orphans.
    Fsck(fsck::FsckArgs),
    /// Operator commands on the storage (run where the server runs).
    #[command(subcommand)]
    Admin(ops::AdminCmd),
    /// Write a consistent backup (SQLite snapshot, blobs, manifest of sizes and SHA-256) into DIR.
    Backup(ops::BackupArgs),
    /// Restore a backup written by `backup` into an empty data directory and the blob store.
    Restore(ops::RestoreArgs),
    /// Upload, list and download files.
    Files(files::FilesCmd),
    /// List, create, change and revoke a file's external links.
    Links(links::LinksCmd),
    /// Upload a file and create a link to it in one step; prints the URL.
    Share(share::ShareArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  spacelinks completions bash > ~/.local/share/bash-completion/completions/spacelinks\n  \
        spacelinks completions zsh > ~/.zfunc/_spacelinks\n  \
        spacelinks completions fish > ~/.config/fish/completions/spacelinks.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: CliResult = match cli.command {
        Command::Serve(args) => return serve::run(args),
        Command::Fsck(args) => return fsck::run(args),
        Command::Admin(cmd) => return ops::admin(cmd),
        Command::Backup(args) => return ops::backup(args),
        Command::Restore(args) => return ops::restore(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "spacelinks", &mut std::io::stdout());
            Ok(())
        }
        Command::Files(cmd) => block_on(files::run(cmd)),
        Command::Links(cmd) => block_on(links::run(cmd)),
        Command::Share(args) => block_on(share::run(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spacelinks: {e}");
            e.exit_code()
        }
    }
}

fn block_on(fut: impl std::future::Future<Output = CliResult>) -> CliResult {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| error::CliError::other(format!("cannot start: {e}")))?;
    runtime.block_on(fut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
