//! `spacelinks share PATH`: upload, then create a link, in one step.

use std::path::PathBuf;

use clap::Args;

use crate::client::{Client, Conn};
use crate::error::CliResult;
use crate::files::{upload, Target};
use crate::links::{create_link, print_link, CreateBody, LinkFields, LinkOutput};

#[derive(Args)]
#[command(after_help = "Examples:\n  spacelinks share report.pdf\n  \
    spacelinks share report.pdf --expires 7d --password-prompt --deny-download --qr\n  \
    spacelinks share photo.jpg --folder 12 --title Family --json\n\n\
    When the upload succeeds but the link cannot be created, the message names the new file id, \
    so `spacelinks links create ID` can finish the job.")]
pub struct ShareArgs {
    #[command(flatten)]
    conn: Conn,
    /// The file to upload.
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
    let file_id = upload(&client, &args.path, &args.target).await?;
    let link = create_link(&client, &file_id, body).await.map_err(|e| {
        e.context(format!("uploaded {} as file {file_id}, but the link was not created", args.path.display()))
    })?;
    print_link(&link, &args.out)
}
