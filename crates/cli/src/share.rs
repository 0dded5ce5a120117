//! `spacelinks share PATH`: upload a file (or a directory tree), then create
//! one link (a file link, or a folder link), in one step.

use std::path::PathBuf;

use clap::Args;

use crate::client::{Client, Conn};
use crate::error::CliResult;
use crate::files::{upload, upload_tree, Target};
use crate::links::{create_link, print_link, CreateBody, Entry, LinkFields, LinkOutput};

#[derive(Args)]
#[command(after_help = "Examples:\n  spacelinks share report.pdf\n  \
    spacelinks share report.pdf --expires 7d --password-prompt --deny-download --qr\n  \
    spacelinks share photo.jpg --folder 12 --title Family --json\n  \
    spacelinks share ./holiday-photos --password-prompt\n\n\
    A directory is uploaded as a new folder with everything below it, and the link shares \
    the folder.\n\n\
    When the upload succeeds but the link cannot be created, the message names the new file id, \
    so `spacelinks links create ID` can finish the job.")]
pub struct ShareArgs {
    #[command(flatten)]
    conn: Conn,
    /// The file, or the directory, to upload.
    path: PathBuf,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    fields: LinkFields,
    /// Make it the file's primary link.
    #[arg(long)]
    primary: bool,
    #[command(flatten)]
    out: LinkOutput,
}

pub async fn run(args: ShareArgs) -> CliResult {
    let client = Client::new(&args.conn)?;
    let body = CreateBody::new(&args.fields, args.primary)?;
    let (entry, what) = if args.path.is_dir() {
        let parent = args.target.folder.as_deref().unwrap_or("@my");
        let id = upload_tree(&client, &args.path, parent).await?;
        (Entry::Folder(id.clone()), format!("folder {id}"))
    } else {
        let id = upload(&client, &args.path, &args.target).await?;
        (Entry::File(id.clone()), format!("file {id}"))
    };
    let link = create_link(&client, &entry, body)
        .await
        .map_err(|e| e.context(format!("uploaded {} as {what}, but the link was not created", args.path.display())))?;
    print_link(&link, &args.out)
}
