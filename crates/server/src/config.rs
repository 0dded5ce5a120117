//! Server settings. The command line (flags and `SPACELINKS_*` variables)
//! fills this struct; it travels in the app state, never as a global.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; `None` means SQLite in the data dir.
    pub database_url: Option<String>,
    /// `file:///...`; `None` means `blobs/` in the data dir.
    pub blob_url: Option<String>,
    /// Base of every absolute URL we hand out; `None` means `http://<listen>`.
    pub public_url: Option<String>,
    pub owner_email: String,
    pub owner_password: Option<String>,
    /// Master secret for tokens and link-password encryption. `None` means
    /// `secret.key` in the data dir, generated on first start. Several nodes
    /// must share it.
    pub secret_key: Option<String>,
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` we believe.
    pub trusted_proxies: Vec<IpNet>,
    pub max_upload_bytes: u64,
    pub link_password_min_len: usize,
    /// Previous versions kept per file besides the current one.
    pub keep_versions: i64,
    /// Argon2 verifications running at once (each takes 19 MiB); about one
    /// per core.
    pub password_check_permits: usize,
    /// How long a password check waits for a permit before the answer is 429.
    pub password_check_wait: Duration,
    /// A client must send its whole request head within this time.
    pub header_read_timeout: Duration,
    /// An upload whose body sends nothing for this long is cut.
    pub body_idle_timeout: Duration,
    /// Longest time to answer a request on any route but the uploads.
    pub request_timeout: Duration,
    /// On shutdown, how long open requests may finish before connections are closed.
    pub shutdown_grace: Duration,
    /// Link events older than this many days are purged; 0 keeps them forever.
    pub event_retention_days: u32,
    /// How often the purge job runs.
    pub purge_interval: Duration,
    /// Networks exempt from the webhook SSRF guard (intranets, tests).
    pub webhook_allowed_networks: Vec<IpNet>,
    /// How often the webhook outbox is polled for due deliveries (events on
    /// this node wake it at once).
    pub webhook_poll_interval: Duration,
    /// Whether this node delivers webhooks (runs the outbox runner).
    pub webhook_delivery: bool,
    /// Whether link lookups are cached in memory (`--link-cache`; decision
    /// 12 of the spec, `core::link_cache`).
    pub link_cache: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database_url.as_ref().map(|u| u.split('@').next_back().unwrap_or("").to_string()))
            .field("blob_url", &self.blob_url)
            .field("public_url", &self.public_url)
            .field("owner_email", &self.owner_email)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("link_cache", &self.link_cache)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Defaults of the command-line contract, for tests and embedding.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            data_dir: data_dir.into(),
            database_url: None,
            blob_url: None,
            public_url: None,
            owner_email: "admin@localhost".into(),
            owner_password: None,
            secret_key: None,
            trusted_proxies: Vec::new(),
            max_upload_bytes: 100 * 1024 * 1024,
            link_password_min_len: 8,
            keep_versions: 10,
            password_check_permits: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            password_check_wait: Duration::from_secs(5),
            header_read_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            event_retention_days: 90,
            purge_interval: Duration::from_secs(3600),
            webhook_allowed_networks: Vec::new(),
            webhook_poll_interval: Duration::from_secs(1),
            webhook_delivery: true,
            link_cache: true,
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("spacelinks.db").display()))
    }

    pub fn blob_url(&self) -> String {
        self.blob_url.clone().unwrap_or_else(|| {
            let dir = self.data_dir.join("blobs");
            let dir = std::path::absolute(&dir).unwrap_or(dir);
            format!("file://{}", dir.display())
        })
    }

    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{bound}")).trim_end_matches('/').to_string()
    }
}

/// `--trusted-proxy` values: IP addresses or CIDR networks, blanks ignored.
/// IPv4-mapped IPv6 forms (`::ffff:10.0.0.1`, `::ffff:10.0.0.0/104`) become
/// IPv4, since peers are matched in canonical form.
pub fn parse_trusted_proxies(values: &[String]) -> anyhow::Result<Vec<IpNet>> {
    parse_networks(values, "--trusted-proxy")
}

/// A list of IP addresses or CIDR networks for the option `flag`, as
/// `parse_trusted_proxies` describes.
pub fn parse_networks(values: &[String], flag: &str) -> anyhow::Result<Vec<IpNet>> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| {
            let net = v
                .parse::<IpNet>()
                .or_else(|_| v.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| anyhow::anyhow!("{flag} {v:?} is not an IP address or CIDR"))?;
            Ok(canonical_net(net))
        })
        .collect()
}

fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => IpNet::new(v4.into(), v6.prefix_len() - 96).unwrap_or(net),
            None => net,
        },
        _ => net,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_lists_name_their_flag_when_wrong() {
        let nets =
            parse_networks(&["127.0.0.0/8".into(), " ".into(), "::1".into()], "--webhook-allowed-network").unwrap();
        assert_eq!(nets, ["127.0.0.0/8".parse::<IpNet>().unwrap(), "::1/128".parse().unwrap()]);
        let err = parse_networks(&["intranet".into()], "--webhook-allowed-network").unwrap_err();
        assert_eq!(err.to_string(), "--webhook-allowed-network \"intranet\" is not an IP address or CIDR");
    }
}
