//! Property tests of the HTTP-side parsers: `Range` headers, trusted proxy
//! lists and `X-Forwarded-For` chains.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use spacelinks_server::config::parse_trusted_proxies;
use spacelinks_server::ctx::forwarded_client;
use spacelinks_server::download::parse_range;

fn any_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        any::<[u16; 8]>().prop_map(|s| IpAddr::V6(Ipv6Addr::from(s))),
        any::<[u8; 4]>().prop_map(|b| IpAddr::V6(Ipv4Addr::from(b).to_ipv6_mapped())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_range_header_is_served_or_refused(v in ".{0,40}", size in 0u64..1 << 40) {
        if let Ok(Some(r)) = parse_range(Some(&v), size) {
            prop_assert!(r.start < r.end && r.end <= size, "{:?} of {} gave {:?}", v, size, r);
        }
    }

    #[test]
    fn byte_ranges_mean_what_they_say(size in 1u64..1 << 40, a in any::<u64>(), b in any::<u64>(), n in any::<u64>()) {
        let (a, b) = (a % size, b % size);
        let (lo, hi) = (a.min(b), a.max(b));
        let r = parse_range(Some(&format!("bytes={lo}-{hi}")), size).unwrap().unwrap();
        prop_assert_eq!((r.start, r.end), (lo, hi + 1));
        let r = parse_range(Some(&format!("bytes={lo}-")), size).unwrap().unwrap();
        prop_assert_eq!((r.start, r.end), (lo, size));
        // A suffix of n bytes: the last min(n, size), and n = 0 is refused.
        match parse_range(Some(&format!("bytes=-{n}")), size) {
            Ok(Some(r)) => prop_assert_eq!((r.start, r.end), (size - n.min(size), size)),
            other => prop_assert!(n == 0 && other.is_err(), "bytes=-{} gave {:?}", n, other),
        }
        // Starting past the end is unsatisfiable.
        let past = format!("bytes={}-", size + a);
        prop_assert!(parse_range(Some(&past), size).is_err(), "{}", past);
    }

    #[test]
    fn proxy_lists_parse_what_they_name(ips in prop::collection::vec((any_ip(), any::<u8>()), 0..6)) {
        let values: Vec<String> = ips
            .iter()
            .map(|(ip, p)| match ip {
                IpAddr::V4(_) if p % 3 == 0 => ip.to_string(),
                IpAddr::V4(_) => format!("{ip}/{}", p % 33),
                IpAddr::V6(_) => format!("{ip}/{}", p % 129),
            })
            .collect();
        let nets = parse_trusted_proxies(&values).unwrap();
        prop_assert_eq!(nets.len(), values.len());
        for ((ip, p), net) in ips.iter().zip(&nets) {
            // Each entry contains its own address; an IPv4-mapped entry of
            // /96 or longer becomes IPv4, as peers are matched canonically.
            let mapped_net = matches!(ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() && p % 129 >= 96);
            let want = if mapped_net { ip.to_canonical() } else { *ip };
            prop_assert!(net.contains(&want), "{} not in {}", want, net);
            prop_assert_eq!(mapped_net, matches!(net, ipnet::IpNet::V4(_)) && ip.is_ipv6());
        }
    }

    #[test]
    fn proxy_list_garbage_is_an_error_naming_it(v in "[^\\s,]{1,30}") {
        prop_assume!(v.parse::<ipnet::IpNet>().is_err() && v.parse::<IpAddr>().is_err());
        let err = parse_trusted_proxies(std::slice::from_ref(&v)).unwrap_err().to_string();
        prop_assert!(err.contains(&format!("{v:?}")), "{}", err);
    }

    #[test]
    fn the_client_is_an_untrusted_hop_of_the_chain(
        hops in prop::collection::vec(prop_oneof![any_ip().prop_map(|i| i.to_string()), ".{0,12}"], 0..6),
        trusted in prop::collection::vec(any_ip(), 0..3),
    ) {
        let nets: Vec<ipnet::IpNet> = trusted.iter().map(|ip| ipnet::IpNet::from(ip.to_canonical())).collect();
        let chain = hops.join(", ");
        let mut headers = HeaderMap::new();
        let Ok(value) = HeaderValue::from_str(&chain) else { return Ok(()) };
        headers.insert("x-forwarded-for", value);
        if let Some(client) = forwarded_client(&headers, &nets) {
            prop_assert!(!nets.iter().any(|n| n.contains(&client)), "{} is a trusted proxy", client);
            prop_assert_eq!(client, client.to_canonical());
            prop_assert!(hops.iter().any(|h| h.trim().parse::<IpAddr>().is_ok_and(|ip| ip.to_canonical() == client)));
        }
    }
}
