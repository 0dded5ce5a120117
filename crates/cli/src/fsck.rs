//! `spacelinks fsck`: checks the database against the blob store (see
//! `spacelinks_store::fsck`), with the same storage flags as `serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use spacelinks_server::Config;
use spacelinks_store::fsck;

#[derive(Args)]
pub struct FsckArgs {
    /// Data directory, as for `serve`.
    #[arg(long, env = "SPACELINKS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// As for `serve`; default: SQLite in the data directory.
    #[arg(long, env = "SPACELINKS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// As for `serve`; default: `blobs/` in the data directory.
    #[arg(long, env = "SPACELINKS_BLOB_URL")]
    blob_url: Option<String>,
    /// Remove orphaned blobs and staging leftovers older than the grace period.
    #[arg(long)]
    repair: bool,
    /// Orphans and staging files younger than this may belong to an upload
    /// in progress and are left alone.
    #[arg(long, default_value_t = 60)]
    grace_minutes: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Exit status 0 when nothing needs attention (after repairs), 1 when
/// something does, 2 when the check could not run.
pub fn run(args: FsckArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    match runtime.block_on(check(&args)) {
        Ok(report) => {
            print(&report, args.json);
            if report.open().next().is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("spacelinks fsck: {e:#}");
    ExitCode::from(2)
}

async fn check(args: &FsckArgs) -> anyhow::Result<fsck::Report> {
    let mut config = Config::with_data_dir(&args.data_dir);
    config.database_url = args.database_url.clone().filter(|s| !s.is_empty());
    config.blob_url = args.blob_url.clone().filter(|s| !s.is_empty());
    // `serve` creates the SQLite database; fsck must not make an empty one
    // (where every blob would look orphaned).
    let sqlite = args.data_dir.join("spacelinks.db");
    if config.database_url.is_none() && !sqlite.is_file() {
        anyhow::bail!("no database at {}: pass --data-dir or --database-url", sqlite.display());
    }
    let db = spacelinks_store::Db::open(&config.database_url()).await?;
    let grace = std::time::Duration::from_secs(args.grace_minutes * 60);
    match fsck::local_blob_root(&config.blob_url())? {
        Some(dir) => fsck::check(&db, &dir, grace, args.repair).await,
        None => {
            let blobs = spacelinks_store::Blobs::open(&config.blob_url())?;
            fsck::check_in(&db, fsck::BlobRoot::Store(&blobs), grace, args.repair).await
        }
    }
}

fn print(report: &fsck::Report, json: bool) {
    if json {
        println!("{}", report.to_json());
        return;
    }
    for f in &report.findings {
        let row = f.row.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        let done = if f.repaired { " — removed" } else { "" };
        println!("{:<10} {}{row}: {}{done}", f.kind, f.key, f.detail);
    }
    let open = report.open().count();
    println!(
        "{} rows, {} blob files: {}",
        report.rows,
        report.blobs,
        if open == 0 { "clean".to_string() } else { format!("{open} finding(s) need attention") }
    );
}
