//! `spacelinks files upload|ls|get`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use futures::StreamExt;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::client::{segment, Client, Conn};
use crate::error::{CliError, CliResult};
use crate::output::{clean, table};

#[derive(Args)]
#[command(
    after_help = "Examples:\n  spacelinks files upload report.pdf\n  spacelinks files ls\n  spacelinks files get 42 -o copy.pdf"
)]
pub struct FilesCmd {
    #[command(flatten)]
    conn: Conn,
    #[command(subcommand)]
    command: FilesSub,
}

#[derive(Subcommand)]
enum FilesSub {
    /// Upload a file and print its new id.
    #[command(
        after_help = "Examples:\n  spacelinks files upload report.pdf\n  spacelinks files upload report.pdf --folder 12\n\n\
        A file of the same name is never replaced: DocSpace gives the upload a new name instead."
    )]
    Upload {
        /// The file to upload.
        path: PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// List a folder's folders and files [default: My documents].
    #[command(after_help = "Examples:\n  spacelinks files ls\n  spacelinks files ls 12\n  spacelinks files ls --json")]
    Ls {
        /// Folder id.
        folder: Option<String>,
        /// Print the folder content as DocSpace sends it.
        #[arg(long)]
        json: bool,
    },
    /// Download a file.
    #[command(after_help = "Examples:\n  spacelinks files get 42\n  spacelinks files get 42 -o report.pdf\n  \
        spacelinks files get 42 -o - | sha256sum\n\n\
        Without -o the file is saved under its name on the server, in the current directory; an \
        existing file of that name is not overwritten.")]
    Get {
        /// File id.
        file_id: String,
        /// Where to save it: a file name, a directory, or `-` for stdout.
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct Target {
    /// Folder id to upload into [default: My documents].
    #[arg(long, value_name = "ID")]
    pub folder: Option<String>,
}

pub async fn run(cmd: FilesCmd) -> CliResult {
    let client = Client::new(&cmd.conn)?;
    match cmd.command {
        FilesSub::Upload { path, target } => {
            let id = upload(&client, &path, &target).await?;
            println!("{id}");
        }
        FilesSub::Ls { folder, json } => list(&client, folder.as_deref().unwrap_or("@my"), json).await?,
        FilesSub::Get { file_id, output } => get(&client, &file_id, output).await?,
    }
    Ok(())
}

/// Uploads `path` and returns the new file's id.
pub async fn upload(client: &Client, path: &Path, target: &Target) -> CliResult<String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| CliError::usage(format!("{} does not name a file", path.display())))?;
    let folder = target.folder.as_deref().unwrap_or("@my");
    let reply = client.upload(folder, path, &name).await?;
    // DocSpace answers a one-element list; accept a bare object too.
    let file = match reply.response {
        Some(Value::Array(mut items)) if !items.is_empty() => items.swap_remove(0),
        Some(v @ Value::Object(_)) => v,
        _ => return Err(CliError::other("the upload answer has no file")),
    };
    id_text(&file).ok_or_else(|| CliError::other("the uploaded file has no id in the answer"))
}

/// My documents' folder id.
async fn my_folder(client: &Client) -> CliResult<String> {
    let reply = client.get("/api/2.0/files/@my?count=1", "My documents").await?;
    reply
        .response
        .as_ref()
        .and_then(|r| r.get("current"))
        .and_then(id_text)
        .ok_or_else(|| CliError::other("the answer for My documents names no folder"))
}

/// A folder given as an id, or as a path of titles below My documents
/// (`Photos/2024`). Returns its id.
pub async fn find_folder(client: &Client, spec: &str) -> CliResult<String> {
    let spec = spec.trim();
    if !spec.is_empty() && spec.chars().all(|c| c.is_ascii_digit()) {
        return Ok(spec.to_string());
    }
    let mut current = my_folder(client).await?;
    for name in spec.split('/').filter(|p| !p.is_empty()) {
        let path = format!("/api/2.0/files/{}?count=100", segment(&current));
        let reply = client.get(&path, &format!("folder {current}")).await?;
        let folders = reply.response.as_ref().and_then(|r| r.get("folders")).and_then(Value::as_array).cloned();
        let found = folders
            .unwrap_or_default()
            .iter()
            .find(|f| f.get("title").and_then(Value::as_str) == Some(name))
            .and_then(id_text);
        current = found.ok_or_else(|| {
            CliError::new(crate::error::Exit::NotFound, format!("no folder {name:?} on the way to {spec:?}"))
        })?;
    }
    Ok(current)
}

/// Creates a folder named `title` in `parent` (an id, or `@my`); its id.
pub async fn create_folder(client: &Client, parent: &str, title: &str) -> CliResult<String> {
    let parent = if parent == "@my" { my_folder(client).await? } else { parent.to_string() };
    let path = format!("/api/2.0/files/folder/{}", segment(&parent));
    let reply = client.post_json(&path, &serde_json::json!({ "title": title }), &format!("folder {parent}")).await?;
    reply.response.as_ref().and_then(id_text).ok_or_else(|| CliError::other("the new folder has no id in the answer"))
}

/// Uploads the directory `dir` as a new folder in `parent`, with every file
/// and subdirectory below it (symbolic links are not followed). Returns
/// the new folder's id.
pub async fn upload_tree(client: &Client, dir: &Path, parent: &str) -> CliResult<String> {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .ok_or_else(|| CliError::usage(format!("{} does not name a directory", dir.display())))?;
    let root = create_folder(client, parent, &name).await?;
    // Depth first with an explicit stack: (directory on disk, folder id).
    let mut stack = vec![(dir.to_path_buf(), root.clone())];
    while let Some((dir, folder)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| CliError::other(format!("cannot read {}: {e}", dir.display())))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| CliError::other(format!("{}: {e}", path.display())))?;
            let title = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() {
                let id = create_folder(client, &folder, &title).await?;
                stack.push((path, id));
            } else if kind.is_file() {
                client.upload(&folder, &path, &title).await?;
            }
        }
    }
    Ok(root)
}

fn id_text(entry: &Value) -> Option<String> {
    match entry.get("id")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(clean(s)),
        _ => None,
    }
}

async fn list(client: &Client, folder: &str, json: bool) -> CliResult {
    const PAGE: usize = 100;
    let what = if folder == "@my" { "My documents".to_string() } else { format!("folder {folder}") };
    let mut first: Option<Value> = None;
    let (mut folders, mut files) = (Vec::new(), Vec::new());
    loop {
        let start = folders.len() + files.len();
        let path = format!("/api/2.0/files/{}?count={PAGE}&startIndex={start}", segment(folder));
        let reply = client.get(&path, &what).await?;
        let content = reply
            .response
            .filter(Value::is_object)
            .ok_or_else(|| CliError::other("the folder answer has no content"))?;
        let take = |key: &str| content.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        let (page_folders, page_files) = (take("folders"), take("files"));
        let n = page_folders.len() + page_files.len();
        folders.extend(page_folders);
        files.extend(page_files);
        let total = content.get("total").and_then(Value::as_i64).map(|t| t.max(0) as usize).unwrap_or(0);
        first.get_or_insert(content);
        let seen = folders.len() + files.len();
        if n == 0 || seen >= total || seen >= 1000 * PAGE {
            break;
        }
    }
    if json {
        let mut content = first.unwrap_or(Value::Null);
        if let Value::Object(m) = &mut content {
            m.insert("count".into(), Value::from(folders.len() + files.len()));
            m.insert("folders".into(), Value::Array(folders));
            m.insert("files".into(), Value::Array(files));
        }
        println!("{}", serde_json::to_string_pretty(&content).unwrap_or_default());
        return Ok(());
    }
    if folders.is_empty() && files.is_empty() {
        println!("{} is empty.", clean(&what));
        return Ok(());
    }
    let title = |e: &Value| clean(e.get("title").and_then(Value::as_str).unwrap_or(""));
    let mut rows: Vec<Vec<String>> =
        folders.iter().map(|f| vec!["folder".into(), id_text(f).unwrap_or_default(), "-".into(), title(f)]).collect();
    rows.extend(files.iter().map(|f| {
        // pureContentLength is omitted when 0 (DocSpace's NullIfDefault).
        let size = f.get("pureContentLength").and_then(Value::as_i64).unwrap_or(0);
        vec!["file".into(), id_text(f).unwrap_or_default(), size.to_string(), title(f)]
    }));
    print!("{}", table(&["TYPE", "ID", "SIZE", "TITLE"], &rows, &[1, 2]));
    Ok(())
}

async fn get(client: &Client, file_id: &str, output: Option<PathBuf>) -> CliResult {
    let res = client.download(file_id).await?;
    if output.as_deref() == Some(Path::new("-")) {
        use std::io::Write;
        let fail = |e: std::io::Error| CliError::other(format!("cannot write to stdout: {e}"));
        let mut stdout = std::io::stdout().lock();
        let mut body = res.bytes_stream();
        while let Some(chunk) = body.next().await {
            stdout.write_all(&chunk.map_err(|e| client.network(&e))?).map_err(fail)?;
        }
        stdout.flush().map_err(fail)?;
        return Ok(());
    }
    let server_name =
        disposition_name(res.headers().get(reqwest::header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()));
    let (dest, overwrite) = match output {
        Some(p) if p.is_dir() => (p.join(default_name(client, file_id, server_name).await), false),
        Some(p) => (p, true),
        None => (PathBuf::from(default_name(client, file_id, server_name).await), false),
    };
    if !overwrite && dest.exists() {
        return Err(CliError::other(format!(
            "{} already exists; choose another name with -o (or pass -o {} to overwrite it)",
            dest.display(),
            dest.display()
        )));
    }
    let bytes = save(client, res, &dest).await?;
    println!("{} ({bytes} bytes)", dest.display());
    Ok(())
}

/// The server's name for the file: Content-Disposition, else the title from
/// `GET file/{id}`, else `file-ID`.
async fn default_name(client: &Client, file_id: &str, from_header: Option<String>) -> String {
    if let Some(n) = from_header.and_then(|n| safe_name(&n)) {
        return n;
    }
    let path = format!("/api/2.0/files/file/{}", segment(file_id));
    if let Ok(reply) = client.get(&path, &format!("file {file_id}")).await {
        if let Some(n) =
            reply.response.as_ref().and_then(|f| f.get("title")).and_then(Value::as_str).and_then(safe_name)
        {
            return n;
        }
    }
    safe_name(&format!("file-{file_id}")).unwrap_or_else(|| "download".into())
}

/// Streams the body into a temporary file beside `dest`, then renames it,
/// so an interrupted download never leaves a truncated file under the name.
async fn save(client: &Client, res: reqwest::Response, dest: &Path) -> CliResult<u64> {
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let base = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{base}.{}.part", std::process::id()));
    let io = |e: std::io::Error| CliError::other(format!("cannot write {}: {e}", dest.display()));
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
        let mut body = res.bytes_stream();
        let mut n = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| client.network(&e))?;
            file.write_all(&chunk).await.map_err(io)?;
            n += chunk.len() as u64;
        }
        file.sync_all().await.map_err(io)?;
        drop(file);
        tokio::fs::rename(&tmp, dest).await.map_err(io)?;
        Ok(n)
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}

/// `filename*=UTF-8''...` (RFC 6266/5987) wins over `filename="..."`.
fn disposition_name(header: Option<&str>) -> Option<String> {
    let header = header?;
    let mut plain = None;
    for param in header.split(';').map(str::trim) {
        let Some((key, value)) = param.split_once('=') else { continue };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let value = value.trim();
                let encoded = value.split_once("''").map(|(_, v)| v).unwrap_or(value);
                if let Ok(s) = percent_encoding::percent_decode_str(encoded).decode_utf8() {
                    return Some(s.into_owned());
                }
            }
            "filename" => plain = Some(value.trim().trim_matches('"').to_string()),
            _ => {}
        }
    }
    plain
}

/// A name from the server, reduced to a plain file name: no directories,
/// no control characters, not `.`/`..`, not hidden.
fn safe_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    (!cleaned.is_empty()).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_names() {
        let h = "attachment; filename=\"_____ _q_.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%22q%22.pdf";
        assert_eq!(disposition_name(Some(h)).as_deref(), Some("отчёт \"q\".pdf"));
        assert_eq!(disposition_name(Some("attachment; filename=\"a b.txt\"")).as_deref(), Some("a b.txt"));
        assert_eq!(disposition_name(Some("attachment")), None);
        assert_eq!(disposition_name(None), None);
    }

    #[test]
    fn names_cannot_escape_the_directory() {
        assert_eq!(safe_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(safe_name("..\\x.txt").as_deref(), Some("x.txt"));
        assert_eq!(safe_name(".."), None);
        assert_eq!(safe_name(".bashrc").as_deref(), Some("bashrc"));
        assert_eq!(safe_name("a\x1b[2Jb.txt").as_deref(), Some("a[2Jb.txt"));
        assert_eq!(safe_name("dir/"), None);
    }
}
