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
}

impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &redact_url(&self.database_url))
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

/// Accepts `http://host:port` and `https://host:port`, or several of them separated by
/// commas (replicas, balanced across).
pub fn parse_grpc_url(raw: &str) -> Result<String, String> {
    let urls: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    if urls.is_empty() {
        return Err("expected http://host:port or https://host:port".to_owned());
    }
    for url in urls {
        let uri: tonic::transport::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        if !matches!(
            (uri.scheme_str(), uri.host()),
            (Some("http" | "https"), Some(_))
        ) {
            return Err(format!(
                "{url}: expected http://host:port or https://host:port"
            ));
        }
    }
    Ok(raw.to_owned())
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
        assert!(parse_grpc_url("http://127.0.0.1:50052").is_ok());
        assert!(parse_grpc_url("https://inventory.internal").is_ok());
        assert!(parse_grpc_url("127.0.0.1:50052").is_err());
        assert!(parse_grpc_url("ftp://x").is_err());
        assert!(parse_grpc_url("").is_err());
        assert!(parse_grpc_url("http://a:1, http://b:2").is_ok());
        assert!(parse_grpc_url("http://a:1,b:2").is_err());
    }

    #[test]
    fn durations_need_a_unit_and_must_not_be_zero() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("0s").is_err());
    }
}
