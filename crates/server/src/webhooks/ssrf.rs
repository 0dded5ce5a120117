//! The SSRF guard of webhook deliveries and probes: http/https only, every
//! address a host resolves to checked against the ranges no webhook should
//! reach (whole addresses, IPv6 included: DocSpace compares 32 bits), and
//! the connection pinned to the address that was checked.

use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::Url;

/// Ranges refused as webhook targets, with why.
static BLOCKED: LazyLock<Vec<(IpNet, &'static str)>> = LazyLock::new(|| {
    [
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared address space (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("255.255.255.255/32", "broadcast"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible"),
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("::ffff:0:0:0/96", "IPv4-translated"),
        ("64:ff9b::/96", "NAT64"),
        ("64:ff9b:1::/48", "NAT64 (local)"),
        ("100::/64", "discard-only"),
        ("2001::/32", "Teredo"),
        ("2001:2::/48", "benchmarking"),
        ("2001:db8::/32", "documentation"),
        ("2002::/16", "6to4"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique local (private)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    ]
    .into_iter()
    .map(|(net, why)| (net.parse().expect("valid CIDR"), why))
    .collect()
});

/// Why `ip` may not be a webhook target, or `None` if it may. Networks in
/// `allowed` (`SPACELINKS_WEBHOOK_ALLOWED_NETWORKS`) are exempt; an
/// IPv4-mapped address is exempt when its IPv4 address is.
pub fn refused_range(ip: IpAddr, allowed: &[IpNet]) -> Option<&'static str> {
    let v4 = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
        IpAddr::V4(_) => None,
    };
    if allowed.iter().any(|n| n.contains(&ip) || v4.is_some_and(|v4| n.contains(&v4))) {
        return None;
    }
    BLOCKED.iter().find(|(net, _)| net.contains(&ip)).map(|(_, why)| *why)
}

/// A webhook URL that passed the guard: where to connect.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
    /// The checked address the connection must use.
    pub addr: SocketAddr,
}

/// Checks `uri` as DocSpace's `UrlValidator` does (absolute, http or https,
/// https when `require_https`) and resolves its host: every address must
/// pass `refused_range`. The messages are DocSpace's where it has one.
pub async fn check_url(uri: &str, require_https: bool, allowed: &[IpNet]) -> Result<Target, String> {
    let url = Url::parse(uri.trim()).map_err(|_| "Invalid URL format".to_string())?;
    match url.scheme() {
        "https" => {}
        "http" if !require_https => {}
        "http" => return Err("HTTPS is required".into()),
        _ => return Err("Only http and https URLs are allowed".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Invalid URL format".into());
    }
    let port = url.port_or_known_default().ok_or("Invalid URL format")?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Domain(host)) => {
            let lookup = tokio::net::lookup_host((host, port));
            match tokio::time::timeout(Duration::from_secs(3), lookup).await {
                Ok(Ok(found)) => found.collect(),
                _ => return Err(format!("DNS resolution failed for {host}")),
            }
        }
        None => return Err("Invalid URL format".into()),
    };
    if addrs.is_empty() {
        return Err(format!("DNS resolution failed for {}", url.host_str().unwrap_or("")));
    }
    if let Some(why) = addrs.iter().find_map(|a| refused_range(a.ip(), allowed)) {
        return Err(format!("URL resolves to a blacklisted IP address ({why})"));
    }
    Ok(Target { addr: addrs[0], url })
}

/// A client that connects only to `target.addr` (whatever DNS says later),
/// follows no redirects and gives up after `timeout`. `ssl = false` accepts
/// any certificate, as DocSpace does.
pub fn client(target: &Target, ssl: bool, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .no_proxy()
        .danger_accept_invalid_certs(!ssl);
    if let Some(host) = target.url.host_str() {
        b = b.resolve(host, target.addr);
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> Option<&'static str> {
        refused_range(ip.parse().unwrap(), &[])
    }

    #[test]
    fn every_range_is_refused_at_both_ends() {
        for (net, why) in BLOCKED.iter() {
            for ip in [net.network(), net.broadcast()] {
                assert!(refused_range(ip, &[]).is_some(), "{ip} in {net} ({why}) passed");
            }
        }
    }

    #[test]
    fn named_ranges() {
        let cases = [
            ("0.0.0.0", "unspecified"),
            ("10.1.2.3", "private"),
            ("100.64.0.1", "shared address space (CGNAT)"),
            ("100.127.255.254", "shared address space (CGNAT)"),
            ("127.0.0.1", "loopback"),
            ("169.254.169.254", "link-local"),
            ("172.31.255.255", "private"),
            ("192.0.0.8", "IETF protocol assignments"),
            ("192.0.2.1", "documentation"),
            ("192.88.99.1", "6to4 relay"),
            ("192.168.1.1", "private"),
            ("198.19.0.1", "benchmarking"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "reserved"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("::ffff:127.0.0.1", "IPv4-mapped"),
            ("::ffff:8.8.8.8", "IPv4-mapped"),
            ("::ffff:0:1.2.3.4", "IPv4-translated"),
            ("64:ff9b::7f00:1", "NAT64"),
            ("64:ff9b:1::1", "NAT64 (local)"),
            ("100::1", "discard-only"),
            ("2001:0:4136:e378::1", "Teredo"),
            ("2001:2::1", "benchmarking"),
            ("2001:db8::1", "documentation"),
            ("2002:7f00:1::1", "6to4"),
            ("3fff::1", "documentation"),
            ("fc00::1", "unique local (private)"),
            ("fd12:3456::1", "unique local (private)"),
            ("fe80::1", "link-local"),
            ("febf:ffff::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
        ];
        for (ip, why) in cases {
            assert_eq!(refused(ip), Some(why), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass_and_whole_ipv6_addresses_are_compared() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            // DocSpace's 32-bit comparison refused these (first 32 bits zero
            // in `::/128`'s eyes) or let the loopback forms through.
            "2001:4860::8888",
            "fe00::1",
        ] {
            assert_eq!(refused(ip), None, "{ip}");
        }
    }

    #[test]
    fn allowed_networks_exempt_their_ranges_only() {
        let allowed: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()];
        assert_eq!(refused_range("127.0.0.1".parse().unwrap(), &allowed), None);
        assert_eq!(refused_range("::ffff:127.0.0.1".parse().unwrap(), &allowed), None);
        assert_eq!(refused_range("fd00::5".parse().unwrap(), &allowed), None);
        assert_eq!(refused_range("10.0.0.1".parse().unwrap(), &allowed), Some("private"));
        assert_eq!(refused_range("::1".parse().unwrap(), &allowed), Some("loopback"));
    }

    #[tokio::test]
    async fn urls_are_checked_before_any_connection() {
        let check = |u: &'static str| async move { check_url(u, false, &[]).await.map(|_| ()) };
        assert_eq!(check("ftp://example.com/").await.unwrap_err(), "Only http and https URLs are allowed");
        assert_eq!(check("not a url").await.unwrap_err(), "Invalid URL format");
        assert!(check("http://127.0.0.1:9/").await.unwrap_err().contains("blacklisted"));
        assert!(check("http://[::ffff:127.0.0.1]/").await.unwrap_err().contains("blacklisted"));
        assert!(check("http://[::1]/").await.unwrap_err().contains("blacklisted"));
        assert!(check("http://localhost/").await.unwrap_err().contains("blacklisted"));
        assert!(check("http://10.0.0.1/").await.unwrap_err().contains("private"));
        assert_eq!(check_url("http://8.8.8.8/", true, &[]).await.unwrap_err(), "HTTPS is required");
        let t = check_url("http://127.0.0.1:9/x", false, &["127.0.0.0/8".parse().unwrap()]).await.unwrap();
        assert_eq!(t.addr, "127.0.0.1:9".parse().unwrap());
    }
}
