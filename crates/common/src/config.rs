//! Configuration pieces shared by several components.

use std::time::Duration;

/// The default database: an SQLite file under `./data/`, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/shop.db?mode=rwc";

/// Where a component keeps its data.
#[derive(clap::Args, Clone)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user:pass@host/db`.
    #[arg(
        long = "database-url",
        env = "SHOP_DATABASE_URL",
        value_name = "SHOP_DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        value_parser = parse_database_url,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Most database connections this process opens (its pool size). Default: 10 on
    /// PostgreSQL, 4 on SQLite. Keep replicas × components × this under PostgreSQL's
    /// `max_connections` (deploy/README.md).
    #[arg(
        long = "database-max-connections",
        env = "SHOP_DATABASE_MAX_CONNECTIONS",
        value_name = "SHOP_DATABASE_MAX_CONNECTIONS",
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub max_connections: Option<u32>,
}

impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &redact_url(&self.database_url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// Accepts `sqlite:` and `postgres:`/`postgresql:` URLs.
pub fn parse_database_url(raw: &str) -> Result<String, String> {
    let known = ["sqlite:", "postgres://", "postgresql://"];
    if known.iter().any(|prefix| raw.starts_with(prefix)) {
        Ok(raw.to_owned())
    } else {
        Err("expected a URL starting with sqlite:, postgres:// or postgresql://".to_owned())
    }
}

/// One or more gRPC service URLs (`http://host:port` or `https://host:port`); several,
/// comma-separated, are replicas that clients balance across. Parsed once, from a setting.
#[derive(Clone, PartialEq, Eq)]
pub struct GrpcUrls(Vec<tonic::transport::Uri>);

impl GrpcUrls {
    /// Parses `raw`: one URL, or several separated by commas.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut uris = Vec::new();
        for url in raw.split(',').map(str::trim).filter(|u| !u.is_empty()) {
            let uri: tonic::transport::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
            if !matches!(
                (uri.scheme_str(), uri.host()),
                (Some("http" | "https"), Some(_))
            ) {
                return Err(format!(
                    "{url}: expected http://host:port or https://host:port"
                ));
            }
            uris.push(uri);
        }
        if uris.is_empty() {
            return Err("expected http://host:port or https://host:port".to_owned());
        }
        Ok(Self(uris))
    }

    /// The URL of a server of this process at `addr`, over TLS when `tls`.
    pub fn local(addr: std::net::SocketAddr, tls: bool) -> Self {
        let scheme = if tls { "https" } else { "http" };
        Self::parse(&format!("{scheme}://{addr}")).expect("a socket address makes a valid URL")
    }

    /// The URLs.
    pub fn uris(&self) -> &[tonic::transport::Uri] {
        &self.0
    }

    /// Whether any of them is `https://`.
    pub fn any_tls(&self) -> bool {
        self.0.iter().any(|uri| uri.scheme_str() == Some("https"))
    }
}

impl std::fmt::Display for GrpcUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, uri) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            // `Uri` prints a bare authority with a trailing slash; show what was configured.
            write!(f, "{}", uri.to_string().trim_end_matches('/'))?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for GrpcUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", redact_url(&self.to_string()))
    }
}

impl std::str::FromStr for GrpcUrls {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        Self::parse(raw)
    }
}

/// Where the inventory service is, for its clients (orders, `shop check`).
#[derive(clap::Args, Clone, Debug)]
pub struct InventoryUrl {
    /// URL of the inventory gRPC service; several comma-separated URLs (replicas) are
    /// balanced across.
    #[arg(
        long = "inventory-url",
        env = "SHOP_INVENTORY_URL",
        value_name = "SHOP_INVENTORY_URL",
        default_value = "http://127.0.0.1:50052",
        value_parser = GrpcUrls::parse
    )]
    pub inventory_url: GrpcUrls,
}

/// Where the orders service is, for its clients (the facade).
#[derive(clap::Args, Clone, Debug)]
pub struct OrdersUrl {
    /// URL of the orders gRPC service; several comma-separated URLs (replicas) are
    /// balanced across.
    #[arg(
        long = "orders-url",
        env = "SHOP_ORDERS_URL",
        value_name = "SHOP_ORDERS_URL",
        default_value = "http://127.0.0.1:50051",
        value_parser = GrpcUrls::parse
    )]
    pub orders_url: GrpcUrls,
}

/// Parses a duration such as `30m`, `90s` or `1h 30m`.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(raw)
        .map_err(|e| format!("{e} (expected e.g. 30m, 90s, 500ms)"))?;
    if duration.is_zero() {
        return Err("must be longer than 0".to_owned());
    }
    Ok(duration)
}

/// Replaces the password of a URL with `***`, so URLs can be logged.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://shop:s3cret@db:5432/shop"),
            "postgres://shop:***@db:5432/shop"
        );
        assert_eq!(redact_url("postgres://db/shop"), "postgres://db/shop");
        assert_eq!(redact_url("sqlite://data/shop.db"), "sqlite://data/shop.db");
    }

    #[test]
    fn database_urls_of_unknown_schemes_are_refused() {
        assert!(parse_database_url("mysql://db/shop").is_err());
        assert!(parse_database_url("sqlite::memory:").is_ok());
        assert!(parse_database_url("postgresql://db/shop").is_ok());
    }

    #[test]
    fn grpc_urls_need_a_scheme_and_a_host() {
        assert!(GrpcUrls::parse("http://127.0.0.1:50052").is_ok());
        assert!(GrpcUrls::parse("https://inventory.internal").is_ok());
        assert!(GrpcUrls::parse("127.0.0.1:50052").is_err());
        assert!(GrpcUrls::parse("ftp://x").is_err());
        assert!(GrpcUrls::parse("").is_err());
        assert!(GrpcUrls::parse("http://a:1,b:2").is_err());
    }

    #[test]
    fn several_grpc_urls_are_replicas_shown_as_configured() {
        let urls = GrpcUrls::parse("http://a:1, https://b:2").unwrap();
        assert_eq!(urls.uris().len(), 2);
        assert!(urls.any_tls());
        assert_eq!(urls.to_string(), "http://a:1,https://b:2");
        let local = GrpcUrls::local("127.0.0.1:9".parse().unwrap(), false);
        assert_eq!(local.to_string(), "http://127.0.0.1:9");
        assert!(!local.any_tls());
    }

    #[test]
    fn durations_need_a_unit_and_must_not_be_zero() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("0s").is_err());
    }
}
