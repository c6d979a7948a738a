//! The client's IP: the socket peer, or, when the peer is a trusted proxy, the right-most
//! `X-Forwarded-For` entry that is not itself a trusted proxy. Entries left of that are
//! whatever the client claimed and are never believed.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use ipnet::IpNet;

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    proxies.iter().any(|net| net.contains(&ip))
}

/// The address rate limits and logs attribute a request to.
#[must_use]
pub fn client_ip(headers: &HeaderMap, peer: SocketAddr, proxies: &[IpNet]) -> IpAddr {
    let mut client = peer.ip().to_canonical();
    if !trusted(client, proxies) {
        return client;
    }
    // Every X-Forwarded-For line, in order, is one list; walk it from the right.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for entry in entries.iter().rev() {
        let Ok(ip) = entry.parse::<IpAddr>() else {
            // Garbage cannot be attributed; the last address a trusted hop gave stands.
            return client;
        };
        client = ip.to_canonical();
        if !trusted(client, proxies) {
            return client;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(headers: &[&'static str], peer: &str, proxies: &[&str]) -> String {
        let mut map = HeaderMap::new();
        for h in headers {
            map.append("x-forwarded-for", HeaderValue::from_static(h));
        }
        let proxies: Vec<IpNet> = proxies.iter().map(|p| p.parse().unwrap()).collect();
        client_ip(&map, SocketAddr::new(peer.parse().unwrap(), 1234), &proxies).to_string()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        assert_eq!(ip(&["1.2.3.4"], "9.9.9.9", &[]), "9.9.9.9");
        assert_eq!(ip(&["1.2.3.4"], "9.9.9.9", &["10.0.0.0/8"]), "9.9.9.9");
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_entry_counts() {
        let proxies = ["10.0.0.0/8", "192.168.1.1/32"];
        assert_eq!(ip(&["6.6.6.6, 1.2.3.4"], "10.0.0.1", &proxies), "1.2.3.4");
        assert_eq!(
            ip(&["6.6.6.6, 1.2.3.4, 192.168.1.1"], "10.0.0.1", &proxies),
            "1.2.3.4"
        );
        assert_eq!(
            ip(&["6.6.6.6", "1.2.3.4, 10.1.1.1"], "10.0.0.1", &proxies),
            "1.2.3.4"
        );
        assert_eq!(ip(&[], "10.0.0.1", &proxies), "10.0.0.1");
        assert_eq!(
            ip(&["10.2.2.2"], "10.0.0.1", &proxies),
            "10.2.2.2",
            "all trusted: the left-most"
        );
        assert_eq!(ip(&["1.2.3.4, junk"], "10.0.0.1", &proxies), "10.0.0.1");
        assert_eq!(
            ip(&["2001:db8::1"], "::ffff:10.0.0.1", &proxies),
            "2001:db8::1"
        );
    }
}
