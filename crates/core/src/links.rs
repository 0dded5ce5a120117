//! The rules of external links: which access levels a file allows, the
//! password policy, expiry limits, how a PUT body creates or merges into a
//! link, and how a visitor's link is judged (the DocSpace `Status` values).

use serde_json::Value;
use spacelinks_api_types::lenient::Patch;
use spacelinks_api_types::{parse_api_date, Fields, FileShare, FileType};

use crate::{Error, Link, Refusal, Result};

pub const DEFAULT_TITLE: &str = "Shared link";
pub const MAX_TITLE_LEN: usize = 255;
/// DocSpace allows six additional links per file in My Documents.
pub const MAX_ADDITIONAL_LINKS: i64 = 6;
/// spacelinks allows one primary link per file (decision 5).
pub const MAX_PRIMARY_LINKS: i64 = 1;
const MAX_LIFETIME_MICROS: i64 = 10 * 366 * 24 * 3600 * 1_000_000;
const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";
/// At most this many entries in `allowedNetworks`.
pub const MAX_ALLOWED_NETWORKS: usize = 50;

/// The link password rule: DocSpace's default is 8–30 printable ASCII
/// characters without spaces. The minimum is configurable.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    pub min_len: usize,
    pub max_len: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_len: 8, max_len: 30 }
    }
}

impl PasswordPolicy {
    pub fn check(&self, password: &str) -> Result<()> {
        let len = password.chars().count();
        let printable = password.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if len < self.min_len || len > self.max_len || !printable {
            return Err(Error::BadRequest(format!(
                "Password must contain from {} to {} characters, only latin letters, digits and symbols, no spaces",
                self.min_len, self.max_len
            )));
        }
        Ok(())
    }
}

/// Access levels a link on this kind of file may carry, in DocSpace's
/// listing order. spacelinks has no form detection, so FillForms is never
/// offered; non-document files allow Read and Editing (new versions).
pub fn allowed_link_access(file_type: FileType) -> &'static [FileShare] {
    if file_type.is_document_like() {
        &[FileShare::Editing, FileShare::Review, FileShare::Comment, FileShare::Read]
    } else {
        &[FileShare::Editing, FileShare::Read]
    }
}

/// Access levels a folder link may carry in My Documents (DocSpace's USER
/// context, folder-links §2): no per-format filtering, FillForms included.
pub const FOLDER_LINK_ACCESS: &[FileShare] =
    &[FileShare::Editing, FileShare::FillForms, FileShare::Review, FileShare::Comment, FileShare::Read];

fn check_access_allowed(access: FileShare, allowed: &[FileShare]) -> Result<()> {
    if allowed.contains(&access) {
        Ok(())
    } else {
        Err(Error::Forbidden("The role is not available for this user type".into()))
    }
}

/// `access` as clients send it: a number, a name in any case, or an alias.
/// Anything else is a 400 naming the accepted values (decision 3).
pub fn parse_access(v: &Value) -> Result<FileShare> {
    let parsed = match v {
        Value::Number(n) => n.as_i64().and_then(FileShare::from_i64),
        Value::String(s) => FileShare::parse_name(s),
        _ => None,
    };
    parsed.ok_or_else(|| Error::BadRequest(FileShare::accepted_values_message()))
}

/// `expirationDate`: `Absent` keeps the stored value, `Null` clears it.
/// The Python SDK serialises an `ApiDateTime` as `{}`, which means "no
/// change"; `{"utcTime": ...}` is the SDK's object form of a date.
pub fn parse_expiration(v: Option<&Value>, now: i64) -> Result<Patch<i64>> {
    let text = match v {
        None => return Ok(Patch::Absent),
        Some(Value::Null) => return Ok(Patch::Null),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(Patch::Null),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(m)) => {
            let utc = m.iter().find(|(k, _)| k.eq_ignore_ascii_case("utcTime")).map(|(_, v)| v);
            match utc {
                None | Some(Value::Null) => return Ok(Patch::Absent),
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(bad_date()),
            }
        }
        Some(_) => return Err(bad_date()),
    };
    let t = parse_api_date(&text).ok_or_else(bad_date)?;
    if t <= now {
        return Err(Error::BadRequest("expirationDate must be in the future".into()));
    }
    if t > now + MAX_LIFETIME_MICROS {
        return Err(Error::BadRequest(
            "Value does not fall within the expected range. (Parameter 'expirationDate')".into(),
        ));
    }
    Ok(Patch::Value(t))
}

fn bad_date() -> Error {
    Error::BadRequest("expirationDate must be an ISO-8601 date, for example 2030-01-01T00:00:00Z".into())
}

/// `maxUseCount`: `Absent` keeps the stored limit, `Null` removes it; a
/// value is an integer of at least 1 (JSON number or quoted, as DocSpace
/// reads numbers).
pub fn parse_max_uses(v: Option<&Value>) -> Result<Patch<i64>> {
    let bad = || Error::BadRequest("maxUseCount must be an integer of at least 1, or null for no limit".into());
    let n = match v {
        None => return Ok(Patch::Absent),
        Some(Value::Null) => return Ok(Patch::Null),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(bad)?,
        Some(Value::String(s)) => s.trim().parse().map_err(|_| bad())?,
        Some(_) => return Err(bad()),
    };
    if n < 1 {
        return Err(bad());
    }
    Ok(Patch::Value(n))
}

/// `allowedNetworks`: a list of IPv4/IPv6 addresses and CIDR ranges. An
/// address is its own /32 or /128; a range is kept with its host bits
/// cleared. `null` and `[]` mean anywhere; a bad entry is 400 naming it.
pub fn parse_networks(v: Option<&Value>) -> Result<Patch<Vec<ipnet::IpNet>>> {
    let items: Vec<&Value> = match v {
        None => return Ok(Patch::Absent),
        Some(Value::Null) => return Ok(Patch::Null),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(_) => {
            return Err(Error::BadRequest(
                "allowedNetworks must be a list of IP addresses and CIDR ranges, or null".into(),
            ))
        }
    };
    if items.len() > MAX_ALLOWED_NETWORKS {
        return Err(Error::BadRequest(format!("allowedNetworks may hold at most {MAX_ALLOWED_NETWORKS} entries")));
    }
    let mut nets: Vec<ipnet::IpNet> = Vec::new();
    for item in items {
        let net = item.as_str().and_then(parse_network).ok_or_else(|| {
            let shown = item.as_str().map_or_else(|| item.to_string(), |s| format!("\"{s}\""));
            Error::BadRequest(format!("allowedNetworks: {shown} is not an IP address or CIDR range"))
        })?;
        if !nets.contains(&net) {
            nets.push(net);
        }
    }
    Ok(Patch::Value(nets))
}

/// `10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`, `::1`; an IPv4-mapped IPv6
/// address or range is read as the IPv4 one, as client addresses are.
pub fn parse_network(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    let net = match s.parse::<ipnet::IpNet>() {
        Ok(n) => n,
        Err(_) => ipnet::IpNet::from(s.parse::<std::net::IpAddr>().ok()?),
    };
    let net = match net {
        ipnet::IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::IpNet::new(v4.into(), v6.prefix_len() - 96).ok()?,
            None => net,
        },
        _ => net,
    };
    Some(net.trunc())
}

/// The body of `PUT .../links` and `POST .../link`, parsed and type-checked
/// but not yet applied to a link.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// `None` when absent or the all-zero GUID.
    pub link_id: Option<String>,
    pub access: Patch<FileShare>,
    pub title: Patch<String>,
    pub expires: Patch<i64>,
    pub password: Patch<String>,
    pub deny_download: Patch<bool>,
    pub internal: Patch<bool>,
    pub primary: bool,
    pub max_uses: Patch<i64>,
    pub allowed_networks: Patch<Vec<ipnet::IpNet>>,
}

impl LinkRequest {
    pub fn parse(f: &Fields, now: i64) -> Result<Self> {
        let link_id = match f.string("linkid")? {
            Patch::Value(s) if s.trim().is_empty() => None,
            Patch::Value(s) => {
                let id = uuid::Uuid::parse_str(s.trim())
                    .map_err(|_| Error::BadRequest("linkId must be a GUID".into()))?
                    .hyphenated()
                    .to_string();
                (id != NIL_GUID).then_some(id)
            }
            _ => None,
        };
        let access = match f.raw("access") {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(v) => Patch::Value(parse_access(v)?),
        };
        let title = f.string("title")?;
        if let Patch::Value(t) = &title {
            if t.chars().count() > MAX_TITLE_LEN {
                return Err(Error::BadRequest(format!("title must be at most {MAX_TITLE_LEN} characters")));
            }
            crate::titles::check_title_chars("title", t)?;
        }
        Ok(LinkRequest {
            link_id,
            access,
            title,
            expires: parse_expiration(f.raw("expirationdate"), now)?,
            password: f.string("password")?,
            deny_download: f.bool("denydownload")?,
            internal: f.bool("internal")?,
            primary: f.bool("primary")?.value().unwrap_or(false),
            max_uses: parse_max_uses(f.raw("maxusecount"))?,
            allowed_networks: parse_networks(f.raw("allowednetworks"))?,
        })
    }

    /// A brand-new link from this request. Returns `None` when the request
    /// carries no access (DocSpace's silent no-op "create with None").
    pub fn new_link(&self, ctx: &NewLinkContext<'_>) -> Result<Option<NewLinkFields>> {
        let access = match &self.access {
            Patch::Value(FileShare::None) | Patch::Absent | Patch::Null => return Ok(None),
            Patch::Value(a) => *a,
        };
        check_access_allowed(access, ctx.allowed)?;
        let password = match &self.password {
            Patch::Value(p) if !p.is_empty() => {
                ctx.policy.check(p)?;
                Some(p.clone())
            }
            _ => None,
        };
        Ok(Some(NewLinkFields {
            access,
            title: title_or_default(&self.title),
            expires: self.expires.clone().value(),
            password,
            deny_download: self.deny_download.clone().value().unwrap_or(false),
            internal: self.internal.clone().value().unwrap_or(false),
            max_uses: self.max_uses.clone().value(),
            allowed_networks: self.allowed_networks.clone().value().unwrap_or_default(),
        }))
    }

    /// Merges this request into a stored link (decision 1): absent fields
    /// keep their value, `null` clears or resets. Returns `None` when the
    /// request deletes the link (`access: 0`).
    pub fn merge_into(&self, link: &Link, ctx: &NewLinkContext<'_>) -> Result<Option<LinkChange>> {
        let access = match &self.access {
            Patch::Value(FileShare::None) => return Ok(None),
            Patch::Value(a) => {
                check_access_allowed(*a, ctx.allowed)?;
                *a
            }
            Patch::Absent | Patch::Null => link.access,
        };
        let password = match &self.password {
            Patch::Absent => PasswordChange::Keep,
            Patch::Null => PasswordChange::Clear,
            Patch::Value(p) if p.is_empty() => PasswordChange::Clear,
            Patch::Value(p) => {
                ctx.policy.check(p)?;
                PasswordChange::Set(p.clone())
            }
        };
        let mut next = link.clone();
        next.access = access;
        if !self.title.is_absent() {
            next.title = title_or_default(&self.title);
        }
        match self.expires {
            Patch::Absent => {}
            Patch::Null => next.expires = None,
            Patch::Value(t) => next.expires = Some(t),
        }
        merge_bool(&mut next.deny_download, &self.deny_download);
        merge_bool(&mut next.internal, &self.internal);
        match &self.max_uses {
            Patch::Absent => {}
            Patch::Null => next.max_uses = None,
            Patch::Value(n) => next.max_uses = Some(*n),
        }
        match &self.allowed_networks {
            Patch::Absent => {}
            Patch::Null => next.allowed_networks.clear(),
            Patch::Value(n) => next.allowed_networks = n.clone(),
        }
        Ok(Some(LinkChange { link: next, password }))
    }
}

fn merge_bool(slot: &mut bool, patch: &Patch<bool>) {
    match patch {
        Patch::Absent => {}
        Patch::Null => *slot = false,
        Patch::Value(b) => *slot = *b,
    }
}

fn title_or_default(t: &Patch<String>) -> String {
    match t {
        Patch::Value(s) if !s.trim().is_empty() => s.clone(),
        _ => DEFAULT_TITLE.to_string(),
    }
}

pub struct NewLinkContext<'a> {
    /// `allowed_link_access(file type)` for a file, `FOLDER_LINK_ACCESS`
    /// for a folder.
    pub allowed: &'static [FileShare],
    pub policy: &'a PasswordPolicy,
}

/// Settings for a link about to be created; the caller adds ids and codes.
#[derive(Debug, Clone)]
pub struct NewLinkFields {
    pub access: FileShare,
    pub title: String,
    pub expires: Option<i64>,
    pub password: Option<String>,
    pub deny_download: bool,
    pub internal: bool,
    pub max_uses: Option<i64>,
    pub allowed_networks: Vec<ipnet::IpNet>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PasswordChange {
    Keep,
    Clear,
    Set(String),
}

#[derive(Debug, Clone)]
pub struct LinkChange {
    pub link: Link,
    pub password: PasswordChange,
}

/// DocSpace's `Status` of a link as a visitor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Ok = 0,
    Invalid = 1,
    Expired = 2,
    RequiredPassword = 3,
    InvalidPassword = 4,
    ExternalAccessDenied = 5,
}

/// What the visitor brought to prove they know the password.
pub enum PasswordEvidence<'a> {
    None,
    /// The `sharelink{linkId}` cookie (or header): valid if it matches.
    Proof(&'a str),
    /// A password typed into the form or sent to the password endpoint.
    Typed(&'a str),
}

/// Who is asking: the client address (as the trusted-proxy rules give it),
/// whether they are signed in, and whether they own the file (an owner is
/// never refused by the link's controls and never uses it up).
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    pub ip: std::net::IpAddr,
    pub authenticated: bool,
    pub owner: bool,
}

/// The link controls that refuse a visitor whatever they bring: the expiry
/// date, the download limit (a used-up link reads as Expired) and the
/// network allowlist, in that order. Folder links use the same rules.
pub fn refusal(link: &Link, visitor: &Visitor, now: i64) -> Option<Refusal> {
    if link.is_expired(now) {
        return Some(Refusal::Expired);
    }
    if visitor.owner {
        return None;
    }
    if link.is_used_up() {
        return Some(Refusal::UsedUp);
    }
    if !link.allows(visitor.ip) {
        return Some(Refusal::Network);
    }
    None
}

impl Refusal {
    /// The DocSpace status a refused visitor sees.
    pub fn status(self) -> LinkStatus {
        match self {
            Refusal::Expired | Refusal::UsedUp => LinkStatus::Expired,
            Refusal::Network => LinkStatus::ExternalAccessDenied,
        }
    }
    /// The message of the 403 on content paths.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Expired => "The link has expired",
            Refusal::UsedUp => "The link has reached its download limit (maxUseCount)",
            Refusal::Network => "The link cannot be used from this network",
        }
    }
}

/// Judges a link in DocSpace's order: expired (by date, or used up), the
/// network allowlist, internal for anonymous, then the password.
/// `password` is the decrypted stored password.
pub fn link_status(
    link: &Link,
    password: Option<&str>,
    evidence: &PasswordEvidence<'_>,
    visitor: &Visitor,
    now: i64,
    proof_ok: impl Fn(&str, &str) -> bool,
) -> LinkStatus {
    if let Some(r) = refusal(link, visitor, now) {
        return r.status();
    }
    if link.internal && !visitor.authenticated {
        return LinkStatus::ExternalAccessDenied;
    }
    let Some(stored) = password else {
        return LinkStatus::Ok;
    };
    match evidence {
        PasswordEvidence::None => LinkStatus::RequiredPassword,
        PasswordEvidence::Proof(p) if proof_ok(stored, p) => LinkStatus::Ok,
        PasswordEvidence::Proof(_) => LinkStatus::RequiredPassword,
        PasswordEvidence::Typed("") => LinkStatus::RequiredPassword,
        PasswordEvidence::Typed(t) if crate::crypto::secret_eq(t, stored) => LinkStatus::Ok,
        PasswordEvidence::Typed(_) => LinkStatus::InvalidPassword,
    }
}

#[cfg(test)]
mod tests;
