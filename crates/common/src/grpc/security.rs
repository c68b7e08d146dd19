//! Internal gRPC security, off by default on loopback: a shared bearer token
//! (`SHOP_GRPC_TOKEN`) checked by every server and sent by every client, and TLS through
//! tonic's rustls support, optionally with client certificates (mutual TLS).
//!
//! Each piece is its own group of flags, so a component's command line holds exactly the
//! pieces it uses: a server ([`ServerSecurity`]: token + [`ServerTls`]), a client
//! ([`ClientSecurity`]: token + [`ClientTls`]), or both (orders: the token once, both TLS
//! groups). The TLS files are read once, when a server or client is built, and an unreadable
//! file is an error naming its variable.

use std::{fmt, path::PathBuf};

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// The bearer token of internal gRPC calls.
#[derive(clap::Args, Clone, Default)]
pub struct GrpcToken {
    /// Bearer token every gRPC call must carry (`authorization: Bearer <token>`), and every
    /// client sends. Unset: no token (fine on loopback; set it when components talk over a
    /// network). The health service stays open for probes.
    #[arg(
        long = "grpc-token",
        env = "SHOP_GRPC_TOKEN",
        value_name = "SHOP_GRPC_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
}

impl GrpcToken {
    /// A token (for tests and in-process wiring).
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
        }
    }

    /// The token, if set and not blank.
    pub fn get(&self) -> Option<&str> {
        self.token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

impl fmt::Debug for GrpcToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.get().is_some() {
            "<redacted>"
        } else {
            "<not set>"
        })
    }
}

/// TLS of a gRPC server.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ServerTls {
    /// PEM certificate (chain) the gRPC server presents; with SHOP_GRPC_TLS_KEY, it speaks TLS.
    #[arg(
        long = "grpc-tls-cert",
        env = "SHOP_GRPC_TLS_CERT",
        value_name = "SHOP_GRPC_TLS_CERT",
        requires = "tls_key"
    )]
    pub cert: Option<PathBuf>,

    /// PEM private key of SHOP_GRPC_TLS_CERT.
    #[arg(
        id = "tls_key",
        long = "grpc-tls-key",
        env = "SHOP_GRPC_TLS_KEY",
        value_name = "SHOP_GRPC_TLS_KEY",
        requires = "cert"
    )]
    pub key: Option<PathBuf>,

    /// PEM CA certificate: the server then requires client certificates signed by it
    /// (mutual TLS).
    #[arg(
        long = "grpc-tls-client-ca",
        env = "SHOP_GRPC_TLS_CLIENT_CA",
        value_name = "SHOP_GRPC_TLS_CLIENT_CA",
        requires = "cert"
    )]
    pub client_ca: Option<PathBuf>,
}

/// TLS of a gRPC client, used for `https://` service URLs.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ClientTls {
    /// PEM CA certificate the client trusts for `https://` service URLs.
    #[arg(
        id = "tls_ca",
        long = "grpc-tls-ca",
        env = "SHOP_GRPC_TLS_CA",
        value_name = "SHOP_GRPC_TLS_CA"
    )]
    pub ca: Option<PathBuf>,

    /// PEM certificate the client presents (with SHOP_GRPC_TLS_CLIENT_KEY), for mutual TLS.
    #[arg(
        id = "client_cert",
        long = "grpc-tls-client-cert",
        env = "SHOP_GRPC_TLS_CLIENT_CERT",
        value_name = "SHOP_GRPC_TLS_CLIENT_CERT",
        requires = "client_key"
    )]
    pub client_cert: Option<PathBuf>,

    /// PEM private key of SHOP_GRPC_TLS_CLIENT_CERT.
    #[arg(
        id = "client_key",
        long = "grpc-tls-client-key",
        env = "SHOP_GRPC_TLS_CLIENT_KEY",
        value_name = "SHOP_GRPC_TLS_CLIENT_KEY",
        requires = "client_cert"
    )]
    pub client_key: Option<PathBuf>,
}

impl ClientTls {
    /// Whether any client TLS setting is given.
    pub fn is_configured(&self) -> bool {
        self.ca.is_some() || self.client_cert.is_some()
    }
}

/// What a gRPC server checks: the token, and TLS.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ServerSecurity {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub token: GrpcToken,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tls: ServerTls,
}

/// What a gRPC client sends: the token, and TLS for `https://` URLs.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ClientSecurity {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub token: GrpcToken,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tls: ClientTls,
}

/// A TLS file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{variable} {}: {source}", path.display())]
pub struct TlsFileError {
    /// The variable naming it.
    pub variable: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

fn read(variable: &'static str, path: &PathBuf) -> Result<Vec<u8>, TlsFileError> {
    std::fs::read(path).map_err(|source| TlsFileError {
        variable,
        path: path.clone(),
        source,
    })
}

impl ServerTls {
    /// The server's TLS settings, when a certificate is configured.
    pub fn config(&self) -> Result<Option<ServerTlsConfig>, TlsFileError> {
        let (Some(cert), Some(key)) = (&self.cert, &self.key) else {
            return Ok(None);
        };
        let identity = Identity::from_pem(
            read("SHOP_GRPC_TLS_CERT", cert)?,
            read("SHOP_GRPC_TLS_KEY", key)?,
        );
        let mut tls = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.client_ca {
            tls = tls.client_ca_root(Certificate::from_pem(read("SHOP_GRPC_TLS_CLIENT_CA", ca)?));
        }
        Ok(Some(tls))
    }
}

impl ClientTls {
    /// The client's TLS settings for `https://` URLs.
    pub fn config(&self) -> Result<ClientTlsConfig, TlsFileError> {
        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &self.ca {
            tls = tls.ca_certificate(Certificate::from_pem(read("SHOP_GRPC_TLS_CA", ca)?));
        }
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            tls = tls.identity(Identity::from_pem(
                read("SHOP_GRPC_TLS_CLIENT_CERT", cert)?,
                read("SHOP_GRPC_TLS_CLIENT_KEY", key)?,
            ));
        }
        Ok(tls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_never_printed() {
        let printed = format!(
            "{:?}",
            ServerSecurity {
                token: GrpcToken::new("s3cret-token"),
                ..ServerSecurity::default()
            }
        );
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
        assert!(format!("{:?}", GrpcToken::default()).contains("<not set>"));
    }

    #[test]
    fn a_blank_token_counts_as_none() {
        assert_eq!(GrpcToken::new("  ").get(), None);
        assert_eq!(GrpcToken::new(" t ").get(), Some("t"));
    }

    #[test]
    fn an_unreadable_tls_file_is_reported_under_its_variable() {
        let tls = ClientTls {
            ca: Some("/nonexistent/ca.pem".into()),
            ..ClientTls::default()
        };
        let error = tls.config().expect_err("no such file").to_string();
        assert!(error.contains("SHOP_GRPC_TLS_CA"), "{error}");
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }
}
