//! What an API key must carry to call a route. Every route declares its
//! `Scope` in the route table (`routes::routes`); the auth middleware looks
//! the matched route up there, so a route that declares nothing refuses API
//! keys. Sessions, cookies and Basic auth carry every scope, as in DocSpace.
//!
//! The scope names are DocSpace's (`GET keys/permissions`); which route
//! needs which follows DocSpace's own table (`files:*` for files and links,
//! `accounts.self:*` for `people/@self`, `accounts:*` for other people, `*:*`
//! for everything else) and extends it to the routes outside `/api/2.0`
//! (downloads, the share page), which DocSpace leaves unchecked.

use axum::http::Method;

/// The part of the API a scope covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// `files:read` / `files:write`: files, folders, links, downloads.
    Files,
    /// `accounts:read` / `accounts:write`: other people.
    Accounts,
    /// `accounts.self:read` / `accounts.self:write`: the caller's own profile.
    AccountsSelf,
    /// No area of its own (login, keys): only `*:read` / `*:write`.
    Global,
}

impl Area {
    fn prefix(self) -> Option<&'static str> {
        match self {
            Area::Files => Some("files"),
            Area::Accounts => Some("accounts"),
            Area::AccountsSelf => Some("accounts.self"),
            Area::Global => None,
        }
    }
}

/// A route's requirement on the API key that calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Anyone, with any key: the route serves nothing that belongs to anyone
    /// (the health check, the stylesheet).
    Public,
    /// Any valid key, whatever its scopes: `keys/@self` describes the key.
    AnyKey,
    /// Reading in an area: `<area>:read`, `<area>:write`, `*:read` or full access.
    Read(Area),
    /// Changing something in an area: `<area>:write`, `*:write` or full access.
    Write(Area),
    /// API keys are refused: pages for browsers signed in with a session.
    /// What a route that declares nothing gets.
    NoApiKey,
}

impl Scope {
    /// Whether a key with these permissions (DocSpace's strings; empty means
    /// full access) may call a route that needs this scope.
    pub fn allows(self, permissions: &[String]) -> bool {
        let has = |s: &str| permissions.iter().any(|p| p == s);
        let full = permissions.is_empty() || has("*") || has("*:write");
        let area_has = |area: Area, level: &str| area.prefix().is_some_and(|a| has(&format!("{a}:{level}")));
        match self {
            Scope::Public | Scope::AnyKey => true,
            Scope::NoApiKey => false,
            Scope::Read(area) => full || has("*:read") || area_has(area, "read") || area_has(area, "write"),
            Scope::Write(area) => full || area_has(area, "write"),
        }
    }

    /// How the docs name it: `files:read`, `*:write`, `any key`...
    pub fn describe(self) -> String {
        match self {
            Scope::Public => "none (public)".into(),
            Scope::AnyKey => "any key".into(),
            Scope::NoApiKey => "API keys refused".into(),
            Scope::Read(a) => format!("{}:read", a.prefix().unwrap_or("*")),
            Scope::Write(a) => format!("{}:write", a.prefix().unwrap_or("*")),
        }
    }
}

/// One row of the route table.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    /// The route template as axum matches it (`/api/2.0/files/file/{file_id}`).
    pub path: &'static str,
    pub scope: Scope,
    /// Takes a file body: the upload limit instead of the small-body limit.
    pub upload: bool,
}

/// The scopes of the route table, looked up by the matched route template.
#[derive(Debug, Default)]
pub struct ScopeTable(std::collections::HashMap<&'static str, Vec<(Method, Scope)>>);

impl ScopeTable {
    pub fn new(specs: &[RouteSpec]) -> Self {
        let mut map = std::collections::HashMap::<&'static str, Vec<(Method, Scope)>>::new();
        for s in specs {
            map.entry(s.path).or_default().push((s.method.clone(), s.scope));
        }
        ScopeTable(map)
    }

    /// The scope of `method` on the route template `path`; `NoApiKey` for a
    /// route the table does not declare. HEAD is answered by GET handlers.
    pub fn scope(&self, method: &Method, path: &str) -> Scope {
        let method = if *method == Method::HEAD { &Method::GET } else { method };
        self.0
            .get(path)
            .and_then(|methods| methods.iter().find(|(m, _)| m == method))
            .map_or(Scope::NoApiKey, |(_, s)| *s)
    }
}

/// The scope names a key may be created with, as `GET keys/permissions`
/// lists them.
pub const PERMISSIONS: [&str; 11] = [
    "*",
    "*:read",
    "*:write",
    "accounts.self:read",
    "accounts.self:write",
    "accounts:read",
    "accounts:write",
    "files:read",
    "files:write",
    "rooms:read",
    "rooms:write",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scopes_follow_docspace_names() {
        let files_read = Scope::Read(Area::Files);
        let files_write = Scope::Write(Area::Files);
        assert!(files_write.allows(&[]), "an empty list is full access");
        assert!(files_write.allows(&p(&["*"])));
        assert!(files_write.allows(&p(&["*:write"])));
        assert!(files_read.allows(&p(&["*:read"])));
        assert!(!files_write.allows(&p(&["*:read"])));
        assert!(files_read.allows(&p(&["files:read"])));
        assert!(files_read.allows(&p(&["files:write"])));
        assert!(!files_write.allows(&p(&["files:read"])));
        assert!(!files_read.allows(&p(&["accounts:read"])));
        assert!(!Scope::Read(Area::AccountsSelf).allows(&p(&["accounts:read"])));
        assert!(Scope::Read(Area::AccountsSelf).allows(&p(&["accounts.self:read"])));
        assert!(!Scope::Read(Area::Global).allows(&p(&["files:write", "accounts:write"])));
        assert!(Scope::Read(Area::Global).allows(&p(&["*:read"])));
        assert!(Scope::AnyKey.allows(&p(&["rooms:read"])));
        assert!(!Scope::NoApiKey.allows(&[]), "not even a full-access key");
    }

    #[test]
    fn undeclared_routes_refuse_keys() {
        let table =
            ScopeTable::new(&[RouteSpec { method: Method::GET, path: "/a", scope: Scope::Public, upload: false }]);
        assert_eq!(table.scope(&Method::GET, "/a"), Scope::Public);
        assert_eq!(table.scope(&Method::HEAD, "/a"), Scope::Public);
        assert_eq!(table.scope(&Method::POST, "/a"), Scope::NoApiKey);
        assert_eq!(table.scope(&Method::GET, "/b"), Scope::NoApiKey);
    }
}
