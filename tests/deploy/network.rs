//! The compose network on one machine. Each replica (a container with its own network
//! namespace) gets its own free port for every port it listens on; a service's name stands
//! for all its replicas, as a comma-separated URL list (the shop balances across it; Docker's
//! DNS round robin in Compose); `postgres` is a fresh database on TEST_DATABASE_URL's server,
//! `mailpit` the in-process SMTP sink, and a mounted directory a local one.

use std::{cell::RefCell, collections::BTreeMap, path::PathBuf};

use crate::support::free_port;

/// Where each name and port of the compose network really is.
pub struct Network {
    /// How many replicas each shop service runs.
    pub replicas: BTreeMap<String, usize>,
    /// The database URL standing in for `postgres://…@postgres:5432/…`.
    pub database_url: String,
    /// `127.0.0.1:PORT` of the SMTP sink standing in for `mailpit:1025`.
    pub smtp_addr: String,
    /// Container directories (volume targets) and the local directories mounted there.
    pub mounts: Vec<(String, PathBuf)>,
    ports: RefCell<BTreeMap<(String, usize, u16), u16>>,
}

/// `[scheme://][userinfo@]host:port[/rest]`, split.
struct Address<'a> {
    scheme: &'a str,
    userinfo: &'a str,
    host: &'a str,
    port: u16,
    rest: &'a str,
}

impl Network {
    pub fn new(replicas: BTreeMap<String, usize>, database_url: String, smtp_addr: String) -> Self {
        Self {
            replicas,
            database_url,
            smtp_addr,
            mounts: Vec::new(),
            ports: RefCell::default(),
        }
    }

    /// The local port standing in for `port` inside replica `replica` of `service`.
    pub fn port(&self, service: &str, replica: usize, port: u16) -> u16 {
        *self
            .ports
            .borrow_mut()
            .entry((service.to_owned(), replica, port))
            .or_insert_with(free_port)
    }

    /// `value` as replica `replica` of `service` sees it, mapped onto this machine.
    pub fn rewrite(&self, service: &str, replica: usize, value: &str) -> String {
        for (target, local) in &self.mounts {
            if let Some(rest) = value.strip_prefix(&format!("{target}/")) {
                return local.join(rest).display().to_string();
            }
        }
        value
            .split(',')
            .map(|piece| match split(piece) {
                Some(address) => self.address(service, replica, &address, value),
                None => piece.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    fn address(&self, service: &str, replica: usize, a: &Address, value: &str) -> String {
        let local = |owner: &str, n: usize| {
            let port = self.port(owner, n, a.port);
            format!("{}{}127.0.0.1:{port}{}", a.scheme, a.userinfo, a.rest)
        };
        match a.host {
            "0.0.0.0" | "127.0.0.1" | "localhost" => local(service, replica),
            "postgres" => self.database_url.clone(),
            "mailpit" => format!("{}{}{}", a.scheme, self.smtp_addr, a.rest),
            host => match self.replicas.get(host) {
                Some(&n) => (0..n).map(|i| local(host, i)).collect::<Vec<_>>().join(","),
                None => panic!("{service}: {value:?} names host {host}, which is no service"),
            },
        }
    }
}

fn split(piece: &str) -> Option<Address<'_>> {
    let (scheme, after) = match piece.find("://") {
        Some(i) => piece.split_at(i + 3),
        None => ("", piece),
    };
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => authority.split_at(i + 1),
        None => ("", authority),
    };
    let (host, port) = hostport.rsplit_once(':')?;
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    Some(Address {
        scheme,
        userinfo,
        host: valid_host.then_some(host)?,
        port: port.parse().ok()?,
        rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network() -> Network {
        let replicas = [("inventory".to_owned(), 2), ("orders".to_owned(), 2)].into();
        let mut network = Network::new(
            replicas,
            "postgres://db/fresh".into(),
            "127.0.0.1:2525".into(),
        );
        network
            .mounts
            .push(("/etc/shop/tls".into(), "/tmp/pki".into()));
        network
    }

    #[test]
    fn a_service_name_stands_for_every_replica_and_a_local_address_for_its_own_port() {
        let net = network();
        let (a, b) = (
            net.port("inventory", 0, 50052),
            net.port("inventory", 1, 50052),
        );
        assert_ne!(a, b);
        assert_eq!(
            net.rewrite("orders", 0, "https://inventory:50052"),
            format!("https://127.0.0.1:{a},https://127.0.0.1:{b}")
        );
        assert_eq!(
            net.rewrite("inventory", 1, "0.0.0.0:50052"),
            format!("127.0.0.1:{b}")
        );
        assert_eq!(
            net.rewrite("inventory", 0, "https://localhost:50052"),
            format!("https://127.0.0.1:{a}")
        );
        assert_ne!(
            net.rewrite("orders", 0, "0.0.0.0:9100"),
            net.rewrite("orders", 1, "0.0.0.0:9100")
        );
    }

    #[test]
    fn the_database_the_mail_server_and_mounts_are_local_and_other_values_stay() {
        let net = network();
        assert_eq!(
            net.rewrite("worker", 0, "postgres://shop:pw@postgres:5432/shop"),
            "postgres://db/fresh"
        );
        assert_eq!(
            net.rewrite("worker", 0, "smtp://mailpit:1025"),
            "smtp://127.0.0.1:2525"
        );
        assert_eq!(
            net.rewrite("orders", 0, "/etc/shop/tls/ca.crt"),
            "/tmp/pki/ca.crt"
        );
        for same in [
            "text",
            "dev-only-webhook-key",
            "10",
            "shop <invoices@shop.localhost>",
        ] {
            assert_eq!(net.rewrite("worker", 0, same), same);
        }
    }
}
