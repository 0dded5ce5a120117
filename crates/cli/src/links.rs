//! `spacelinks links ls|create|set|revoke`: a file's external links through
//! `GET/PUT /api/2.0/files/file/{id}/links`, or with `--folder` a folder's
//! through `GET/PUT /api/2.0/files/folder/{id}/links`.

use std::io::{BufRead, IsTerminal, Read};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Map, Value};
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::{format_api_date, parse_api_date, FileShare};
use time::macros::format_description;
use time::Date;

use crate::client::{segment, Client, Conn};
use crate::error::{CliError, CliResult, Exit};
use crate::output::{clean, qr_code, show_date, stdout_color, table, truncate, yes_no};

#[derive(Args)]
#[command(after_help = LINKS_EXAMPLES)]
pub struct LinksCmd {
    #[command(flatten)]
    conn: Conn,
    #[command(subcommand)]
    command: LinksSub,
}

const LINKS_EXAMPLES: &str = "\
Examples:
  spacelinks links ls 42
  spacelinks links create 42 --access read --expires 7d --password-prompt
  spacelinks links set 42 5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f --deny-download
  spacelinks links revoke 42 5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f
  spacelinks links create --folder Photos/2024 --password-prompt
  spacelinks links ls --folder 12";

#[derive(Subcommand)]
enum LinksSub {
    /// List a file's external links.
    #[command(
        after_help = "Examples:\n  spacelinks links ls 42\n  spacelinks links ls 42 --json | jq '.[].sharedLink.shareLink'"
    )]
    Ls {
        /// File id; with --folder, a folder id or path (Photos/2024).
        file_id: String,
        #[command(flatten)]
        kind: Kind,
        /// Print the links as DocSpace sends them (the `response` array), passwords included.
        #[arg(long)]
        json: bool,
    },
    /// Show who used a link: its events, newest first (spacelinks only).
    #[command(after_help = "Examples:\n  spacelinks links activity 42 LINK_ID\n  \
        spacelinks links activity 42 LINK_ID --count 100 --json")]
    Activity {
        /// File id.
        file_id: String,
        /// Link id (the ID column of `links ls`).
        link_id: String,
        /// How many events, newest first (1 to 100).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
        count: u32,
        /// Print the events as the server sends them.
        #[arg(long)]
        json: bool,
    },
    /// Create a link and print its URL.
    #[command(after_help = "Examples:\n  spacelinks links create 42\n  \
        spacelinks links create 42 --access edit --title Reviewers --expires 2026-12-31\n  \
        spacelinks links create 42 --password-file pw.txt --deny-download --qr")]
    Create {
        /// File id; with --folder, a folder id or path (Photos/2024).
        file_id: String,
        #[command(flatten)]
        kind: Kind,
        #[command(flatten)]
        fields: LinkFields,
        /// Make it the file's primary link (at most one per file on spacelinks).
        #[arg(long)]
        primary: bool,
        #[command(flatten)]
        out: LinkOutput,
    },
    /// Change a link; options not given keep their value.
    #[command(after_help = "Examples:\n  spacelinks links set 42 LINK_ID --deny-download\n  \
        spacelinks links set 42 LINK_ID --access comment --no-expiry --no-password\n\n\
        Only the options given are sent (spacelinks merges them into the link), plus the link's \
        current access: ONLYOFFICE DocSpace treats a missing access as \"delete\". DocSpace \
        itself resets every field that is not sent, so against a DocSpace portal repeat the \
        settings you want to keep.")]
    Set {
        /// File id; with --folder, a folder id or path (Photos/2024).
        file_id: String,
        #[command(flatten)]
        kind: Kind,
        /// Link id (the ID column of `links ls`).
        link_id: String,
        #[command(flatten)]
        fields: LinkFields,
        /// Remove the password.
        #[arg(long, conflicts_with_all = ["password_prompt", "password_file"])]
        no_password: bool,
        /// Remove the expiry date.
        #[arg(long, conflicts_with = "expires")]
        no_expiry: bool,
        /// Allow downloads again (undoes --deny-download).
        #[arg(long, conflicts_with = "deny_download")]
        allow_download: bool,
        /// Let anyone with the URL open it (undoes --internal).
        #[arg(long, conflicts_with = "internal")]
        no_internal: bool,
        #[command(flatten)]
        out: LinkOutput,
    },
    /// Delete a link: its URL stops working at once.
    Revoke {
        /// File id; with --folder, a folder id or path (Photos/2024).
        file_id: String,
        #[command(flatten)]
        kind: Kind,
        /// Link id (the ID column of `links ls`).
        link_id: String,
    },
}

/// Whether the command's id names a folder.
#[derive(Args, Debug)]
pub struct Kind {
    /// The id names a folder (an id, or a path below My documents such as Photos/2024): the
    /// link shares the folder with everything in it.
    #[arg(long)]
    folder: bool,
}

/// What a link command works on.
pub enum Entry {
    File(String),
    Folder(String),
}

impl Entry {
    async fn resolve(client: &Client, id: &str, kind: &Kind) -> CliResult<Entry> {
        Ok(if kind.folder {
            Entry::Folder(crate::files::find_folder(client, id).await?)
        } else {
            Entry::File(id.into())
        })
    }

    fn links_path(&self) -> String {
        match self {
            Entry::File(id) => format!("/api/2.0/files/file/{}/links", segment(id)),
            Entry::Folder(id) => format!("/api/2.0/files/folder/{}/links", segment(id)),
        }
    }

    fn what(&self) -> String {
        match self {
            Entry::File(id) => format!("file {id}"),
            Entry::Folder(id) => format!("folder {id}"),
        }
    }

    /// How the user names it again on the command line.
    fn arg(&self) -> String {
        match self {
            Entry::File(id) => id.clone(),
            Entry::Folder(id) => format!("--folder {id}"),
        }
    }
}

/// Access level of a link; DocSpace's Read, Comment, Review and Editing.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Access {
    #[value(alias = "view")]
    Read,
    Comment,
    Review,
    #[value(alias = "editing")]
    Edit,
}

impl Access {
    fn share(self) -> FileShare {
        match self {
            Access::Read => FileShare::Read,
            Access::Comment => FileShare::Comment,
            Access::Review => FileShare::Review,
            Access::Edit => FileShare::Editing,
        }
    }
}

/// The settings `create`, `set` and `share` have in common.
#[derive(Args, Debug)]
pub struct LinkFields {
    /// What the link lets a visitor do [default on create: read]
    #[arg(long, value_enum)]
    access: Option<Access>,
    /// Link title shown in the link list.
    #[arg(long)]
    title: Option<String>,
    /// Expiry: a date (valid to 23:59:59 UTC that day), a UTC time (2026-12-31T18:00:00Z),
    /// or a duration from now (7d, 12h, 30m).
    #[arg(long, value_name = "WHEN", value_parser = parse_expires)]
    expires: Option<i64>,
    /// Ask for the link password (no echo); read one line from stdin when it is not a terminal.
    #[arg(long, conflicts_with = "password_file")]
    password_prompt: bool,
    /// Read the link password from FILE (one trailing newline is dropped; `-` is stdin).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Visitors may view but not download the file.
    #[arg(long)]
    deny_download: bool,
    /// Only signed-in portal users can open the link.
    #[arg(long)]
    internal: bool,
    /// Allow N full downloads through the link (maxUseCount); `none` removes the limit.
    /// Raising the limit revives a used-up link.
    #[arg(long, value_name = "N|none", value_parser = parse_max_uses)]
    max_uses: Option<MaxUses>,
    /// Only visitors from this IP address or CIDR range may use the link (repeatable,
    /// at most 50; replaces the link's list). You can always open your own file.
    #[arg(long, value_name = "CIDR", value_parser = parse_network)]
    allow_network: Vec<String>,
    /// Let visitors come from anywhere (clears the allowed networks).
    #[arg(long, conflicts_with = "allow_network")]
    any_network: bool,
}

/// `--max-uses`: a number of downloads, or no limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MaxUses {
    Limit(i64),
    Unlimited,
}

pub fn parse_max_uses(s: &str) -> Result<MaxUses, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(MaxUses::Unlimited);
    }
    match s.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(MaxUses::Limit(n)),
        _ => Err("expected a whole number of at least 1, or `none`".into()),
    }
}

/// `--allow-network`: an address or a range, checked here so a typo fails
/// before anything is sent.
pub fn parse_network(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.parse::<ipnet::IpNet>().is_ok() || s.parse::<std::net::IpAddr>().is_ok() {
        Ok(s.to_string())
    } else {
        Err("expected an IP address or a CIDR range such as 192.0.2.0/24".into())
    }
}

#[derive(Args, Debug)]
pub struct LinkOutput {
    /// Print the link as DocSpace sends it (JSON).
    #[arg(long)]
    json: bool,
    /// Also print the URL as a QR code.
    #[arg(long, conflicts_with = "json")]
    qr: bool,
}

/// `--expires`: a plain date means the end of that day in UTC (23:59:59),
/// so "--expires 2026-12-31" still works on the 31st; a duration counts
/// from now. Past instants are refused here, because DocSpace would
/// silently store "never expires" for them.
pub fn parse_expires(s: &str) -> Result<i64, String> {
    parse_expires_at(s, now_micros())
}

fn parse_expires_at(s: &str, now: i64) -> Result<i64, String> {
    let s = s.trim();
    let help = "expected a date (2026-12-31), a UTC time (2026-12-31T18:00:00Z) or a duration from now (7d, 12h, 30m)";
    let at = if let Some(micros) = parse_duration(s) {
        micros.and_then(|m| now.checked_add(m)).ok_or_else(|| format!("{s:?} is too long"))?
    } else if let Ok(d) = Date::parse(s, format_description!("[year]-[month]-[day]")) {
        let end = d.with_hms(23, 59, 59).map_err(|e| e.to_string())?.assume_utc();
        (end.unix_timestamp_nanos() / 1000) as i64
    } else {
        parse_api_date(s).ok_or_else(|| help.to_string())?
    };
    if at <= now {
        return Err(format!("{s:?} is in the past"));
    }
    Ok(at)
}

/// `Some(None)` for a duration that overflows, `None` for "not a duration".
fn parse_duration(s: &str) -> Option<Option<i64>> {
    let unit = s.chars().last()?;
    let secs: i64 = match unit.to_ascii_lowercase() {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        _ => return None,
    };
    let n: i64 = s[..s.len() - 1].parse().ok().filter(|n| *n > 0)?;
    Some(n.checked_mul(secs).and_then(|t| t.checked_mul(1_000_000)))
}

/// The password from `--password-file` or `--password-prompt`, if asked for.
fn read_password(fields: &LinkFields) -> CliResult<Option<String>> {
    let raw = if let Some(path) = &fields.password_file {
        let text = if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map(|_| s)
        } else {
            std::fs::read_to_string(path)
        };
        let text =
            text.map_err(|e| CliError::other(format!("cannot read the password file {}: {e}", path.display())))?;
        strip_newline(&text).to_string()
    } else if fields.password_prompt {
        prompt_password()?
    } else {
        return Ok(None);
    };
    if raw.is_empty() {
        return Err(CliError::usage("the link password is empty; use `links set --no-password` to remove a password"));
    }
    Ok(Some(raw))
}

fn strip_newline(s: &str) -> &str {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.strip_suffix('\r').unwrap_or(s)
}

fn prompt_password() -> CliResult<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::other(format!("cannot read the password from stdin: {e}")))?;
        return Ok(strip_newline(&line).to_string());
    }
    let tty = |e: std::io::Error| CliError::other(format!("cannot read the password from the terminal: {e}"));
    let first = rpassword::prompt_password("Link password: ").map_err(tty)?;
    let second = rpassword::prompt_password("Repeat the password: ").map_err(tty)?;
    if first != second {
        return Err(CliError::usage("the two passwords differ"));
    }
    Ok(first)
}

/// The PUT body fields common to create and set, only those given.
fn field_body(fields: &LinkFields) -> CliResult<Map<String, Value>> {
    let mut body = Map::new();
    if let Some(a) = fields.access {
        body.insert("access".into(), json!(a.share() as i64));
    }
    if let Some(t) = &fields.title {
        body.insert("title".into(), json!(t));
    }
    if let Some(at) = fields.expires {
        body.insert("expirationDate".into(), json!(format_api_date(at)));
    }
    if let Some(p) = read_password(fields)? {
        body.insert("password".into(), json!(p));
    }
    if fields.deny_download {
        body.insert("denyDownload".into(), json!(true));
    }
    if fields.internal {
        body.insert("internal".into(), json!(true));
    }
    match fields.max_uses {
        Some(MaxUses::Limit(n)) => {
            body.insert("maxUseCount".into(), json!(n));
        }
        Some(MaxUses::Unlimited) => {
            body.insert("maxUseCount".into(), Value::Null);
        }
        None => {}
    }
    if !fields.allow_network.is_empty() {
        body.insert("allowedNetworks".into(), json!(fields.allow_network));
    } else if fields.any_network {
        body.insert("allowedNetworks".into(), json!([]));
    }
    Ok(body)
}

/// Every link of the file (following `startIndex` pages) or folder (one
/// list: DocSpace does not page a folder's links).
pub async fn fetch_links(client: &Client, entry: &Entry) -> CliResult<Vec<Value>> {
    const PAGE: usize = 100;
    let mut all = Vec::new();
    loop {
        let path = format!("{}?count={PAGE}&startIndex={}", entry.links_path(), all.len());
        let reply = client.get(&path, &entry.what()).await?;
        let page = match reply.response {
            Some(Value::Array(items)) => items,
            _ => return Err(CliError::other("the link list in the answer is not an array")),
        };
        let n = page.len();
        all.extend(page);
        let total = reply.total.map(|t| t.max(0) as usize).unwrap_or(all.len());
        if matches!(entry, Entry::Folder(_)) || n < PAGE || all.len() >= total || all.len() >= 100 * PAGE {
            return Ok(all);
        }
    }
}

/// `sharedLink`, or the older `sharedTo` twin.
fn shared(link: &Value) -> &Value {
    link.get("sharedLink").or_else(|| link.get("sharedTo")).unwrap_or(&Value::Null)
}

fn link_id(link: &Value) -> Option<&str> {
    shared(link).get("id").and_then(Value::as_str)
}

fn share_url(link: &Value) -> Option<&str> {
    shared(link).get("shareLink").and_then(Value::as_str)
}

fn access_name(link: &Value) -> String {
    match link.get("access").and_then(Value::as_i64) {
        Some(n) => match FileShare::from_i64(n) {
            Some(FileShare::Editing) => "edit".into(),
            Some(s) => s.name().to_ascii_lowercase(),
            None => n.to_string(),
        },
        None => "?".into(),
    }
}

fn link_rows(links: &[Value]) -> String {
    let flag = |l: &Value, k: &str| yes_no(shared(l).get(k).and_then(Value::as_bool).unwrap_or(false));
    let rows: Vec<Vec<String>> = links
        .iter()
        .map(|l| {
            let s = shared(l);
            let expiry = match s.get("expirationDate").and_then(Value::as_str) {
                None => "never".to_string(),
                Some(d) if s.get("isExpired").and_then(Value::as_bool) == Some(true) => {
                    format!("{} (expired)", show_date(d))
                }
                Some(d) => show_date(d),
            };
            let has_password = s.get("password").and_then(Value::as_str).is_some_and(|p| !p.is_empty());
            let used = s.get("currentUseCount").and_then(Value::as_i64).unwrap_or(0);
            let uses = match s.get("maxUseCount").and_then(Value::as_i64) {
                Some(max) => format!("{used}/{max}"),
                None => used.to_string(),
            };
            vec![
                clean(link_id(l).unwrap_or("?")),
                truncate(&clean(s.get("title").and_then(Value::as_str).unwrap_or("")), 32),
                access_name(l),
                expiry,
                yes_no(has_password),
                flag(l, "denyDownload"),
                flag(l, "internal"),
                flag(l, "primary"),
                uses,
                clean(share_url(l).unwrap_or("")),
            ]
        })
        .collect();
    table(
        &["ID", "TITLE", "ACCESS", "EXPIRES", "PASSWORD", "DENY-DL", "INTERNAL", "PRIMARY", "USES", "URL"],
        &rows,
        &[],
    )
}

pub fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Prints a created or changed link: its URL (and QR code), or its JSON.
pub fn print_link(link: &Value, out: &LinkOutput) -> CliResult {
    if out.json {
        print_json(link);
        return Ok(());
    }
    let url = share_url(link).ok_or_else(|| CliError::other("the answer has no shareLink"))?;
    println!("{}", clean(url));
    if out.qr {
        print!("{}", qr_code(url, stdout_color()).map_err(CliError::other)?);
    }
    Ok(())
}

/// The body of a new link, built (and the password read) before anything
/// is sent, so `share` does not upload a file it then cannot link.
pub struct CreateBody(Map<String, Value>);

impl CreateBody {
    pub fn new(fields: &LinkFields, primary: bool) -> CliResult<Self> {
        let mut body = field_body(fields)?;
        body.entry("access").or_insert(json!(FileShare::Read as i64));
        if primary {
            body.insert("primary".into(), json!(true));
        }
        Ok(CreateBody(body))
    }
}

/// `PUT .../links` without a `linkId`: a new link. DocSpace answers
/// without a link when it silently skips the request (e.g. an access level
/// the file type does not support), so that is an error here.
pub async fn create_link(client: &Client, entry: &Entry, body: CreateBody) -> CliResult<Value> {
    let reply = client.put_json(&entry.links_path(), &Value::Object(body.0), &entry.what()).await?;
    reply.response.filter(Value::is_object).ok_or_else(|| {
        CliError::new(
            Exit::Refused,
            "the server created no link (DocSpace does this silently when the access level is not available for the file type)",
        )
    })
}

async fn find_link(client: &Client, entry: &Entry, link_id_arg: &str) -> CliResult<Value> {
    let links = fetch_links(client, entry).await?;
    links.into_iter().find(|l| link_id(l).is_some_and(|id| id.eq_ignore_ascii_case(link_id_arg.trim()))).ok_or_else(
        || {
            CliError::new(
                Exit::NotFound,
                format!("{} has no link {link_id_arg} (see `spacelinks links ls {}`)", entry.what(), entry.arg()),
            )
        },
    )
}

pub async fn run(cmd: LinksCmd) -> CliResult {
    let client = Client::new(&cmd.conn)?;
    match cmd.command {
        LinksSub::Ls { file_id, kind, json } => {
            let entry = Entry::resolve(&client, &file_id, &kind).await?;
            let links = fetch_links(&client, &entry).await?;
            if json {
                print_json(&Value::Array(links));
            } else if links.is_empty() {
                let kind = if kind.folder { "Folder" } else { "File" };
                println!("{kind} {} has no external links.", clean(&file_id));
            } else {
                print!("{}", link_rows(&links));
            }
        }
        LinksSub::Activity { file_id, link_id, count, json } => {
            crate::activity::show(&client, &file_id, &link_id, count, json).await?;
        }
        LinksSub::Create { file_id, kind, fields, primary, out } => {
            let body = CreateBody::new(&fields, primary)?;
            let entry = Entry::resolve(&client, &file_id, &kind).await?;
            let link = create_link(&client, &entry, body).await?;
            print_link(&link, &out)?;
        }
        LinksSub::Set { file_id, kind, link_id, fields, no_password, no_expiry, allow_download, no_internal, out } => {
            let mut body = field_body(&fields)?;
            if no_password {
                body.insert("password".into(), Value::Null);
            }
            if no_expiry {
                body.insert("expirationDate".into(), Value::Null);
            }
            if allow_download {
                body.insert("denyDownload".into(), json!(false));
            }
            if no_internal {
                body.insert("internal".into(), json!(false));
            }
            if body.is_empty() {
                return Err(CliError::usage(
                    "nothing to change: give at least one option (see `spacelinks links set --help`)",
                ));
            }
            // Also proves the link exists: DocSpace would create a new link
            // under an unknown linkId instead of reporting it.
            let entry = Entry::resolve(&client, &file_id, &kind).await?;
            let current = find_link(&client, &entry, &link_id).await?;
            let id = link_id_of(&current)?;
            body.insert("linkId".into(), json!(id));
            if !body.contains_key("access") {
                body.insert("access".into(), current.get("access").cloned().unwrap_or(json!(FileShare::Read as i64)));
            }
            let reply = client.put_json(&entry.links_path(), &Value::Object(body), &entry.what()).await?;
            let link = reply
                .response
                .filter(Value::is_object)
                .ok_or_else(|| CliError::other("the server returned no link"))?;
            if out.json || out.qr {
                print_link(&link, &out)?;
            } else {
                print!("{}", link_rows(std::slice::from_ref(&link)));
            }
        }
        LinksSub::Revoke { file_id, kind, link_id } => {
            let entry = Entry::resolve(&client, &file_id, &kind).await?;
            let current = find_link(&client, &entry, &link_id).await?;
            let id = link_id_of(&current)?;
            client
                .put_json(&entry.links_path(), &json!({"linkId": id, "access": FileShare::None as i64}), &entry.what())
                .await?;
            println!("Revoked link {}.", clean(&id));
        }
    }
    Ok(())
}

fn link_id_of(link: &Value) -> CliResult<String> {
    link_id(link).map(str::to_string).ok_or_else(|| CliError::other("the link in the answer has no id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400 * 1_000_000;

    #[test]
    fn expiry_forms() {
        let now = parse_api_date("2026-06-30T10:00:00Z").unwrap();
        let at = |s| parse_expires_at(s, now);
        assert_eq!(at("7d"), Ok(now + 7 * DAY));
        assert_eq!(at("12h"), Ok(now + DAY / 2));
        assert_eq!(at("30m"), Ok(now + 30 * 60 * 1_000_000));
        assert_eq!(at("2026-12-31").map(format_api_date).as_deref(), Ok("2026-12-31T23:59:59.0000000Z"));
        // Today still counts: the link lasts until the end of the day.
        assert_eq!(at("2026-06-30").map(format_api_date).as_deref(), Ok("2026-06-30T23:59:59.0000000Z"));
        assert_eq!(at("2026-07-01T18:00:00+02:00").map(format_api_date).as_deref(), Ok("2026-07-01T16:00:00.0000000Z"));
        assert!(at("2026-06-29").unwrap_err().contains("in the past"));
        assert!(at("0d").is_err());
        assert!(at("-3d").is_err());
        assert!(at("tomorrow").unwrap_err().contains("expected a date"));
        assert!(at("99999999999999d").unwrap_err().contains("too long"));
    }

    #[test]
    fn newline_stripping_keeps_inner_whitespace() {
        assert_eq!(strip_newline("secret-pass\n"), "secret-pass");
        assert_eq!(strip_newline("secret-pass\r\n"), "secret-pass");
        assert_eq!(strip_newline("a b \n\n"), "a b \n");
    }

    #[test]
    fn max_uses_and_networks_flags() {
        assert_eq!(parse_max_uses("3"), Ok(MaxUses::Limit(3)));
        assert_eq!(parse_max_uses("None"), Ok(MaxUses::Unlimited));
        for bad in ["0", "-1", "1.5", "many"] {
            assert!(parse_max_uses(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_network(" 10.0.0.0/8 "), Ok("10.0.0.0/8".into()));
        assert!(parse_network("2001:db8::1").is_ok());
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("intranet").is_err());
    }

    #[test]
    fn link_table_reads_docspace_objects() {
        let link = json!({
            "access": 10,
            "sharedTo": {"id": "5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f", "title": "Team\x1b[2J", "shareLink": "https://p/s/abc",
                "expirationDate": "2030-01-01T03:00:00.0000000+03:00", "password": "pw", "denyDownload": true,
                "isExpired": false, "primary": true, "internal": false, "maxUseCount": 5, "currentUseCount": 2}
        });
        let t = link_rows(&[link]);
        let row = t.lines().nth(1).unwrap();
        assert!(row.starts_with("5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f  Team?[2J"), "{row}");
        for want in ["edit", "2030-01-01 00:00 UTC", "https://p/s/abc", " 2/5 "] {
            assert!(row.contains(want), "{want} in {row}");
        }
        assert!(row.contains("yes       yes      no        yes"), "{row}");
    }
}
