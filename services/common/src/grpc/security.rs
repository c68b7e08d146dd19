//! Internal gRPC security, off by default on loopback: a shared bearer token
//! (`SHOP_GRPC_TOKEN`) checked by every server and sent by every client, and TLS through
//! tonic's rustls support, optionally with client certificates (mutual TLS).

use std::{fmt, path::PathBuf};

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// Security settings shared by every gRPC server and client of a process.
#[derive(clap::Args, Clone, Default)]
pub struct GrpcSecurity {
    /// Bearer token every gRPC call must carry (`authorization: Bearer <token>`), and every
    /// client sends. Unset: no token (fine on loopback; set it when components talk over a
    /// network). The health service stays open for probes.
    #[arg(
        long = "grpc-token",
        env = "SHOP_GRPC_TOKEN",
        value_name = "SHOP_GRPC_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// PEM certificate (chain) the gRPC servers present; with SHOP_GRPC_TLS_KEY, servers speak TLS.
    #[arg(
        long = "grpc-tls-cert",
        env = "SHOP_GRPC_TLS_CERT",
        value_name = "SHOP_GRPC_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of SHOP_GRPC_TLS_CERT.
    #[arg(
        id = "tls_key",
        long = "grpc-tls-key",
        env = "SHOP_GRPC_TLS_KEY",
        value_name = "SHOP_GRPC_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// PEM CA certificate: servers then require client certificates signed by it (mutual TLS).
    #[arg(
        long = "grpc-tls-client-ca",
        env = "SHOP_GRPC_TLS_CLIENT_CA",
        value_name = "SHOP_GRPC_TLS_CLIENT_CA"
    )]
    pub tls_client_ca: Option<PathBuf>,

    /// PEM CA certificate clients trust for `https://` service URLs.
    #[arg(
        long = "grpc-tls-ca",
        env = "SHOP_GRPC_TLS_CA",
        value_name = "SHOP_GRPC_TLS_CA"
    )]
    pub tls_ca: Option<PathBuf>,

    /// PEM certificate clients present (with SHOP_GRPC_TLS_CLIENT_KEY), for mutual TLS.
    #[arg(
        long = "grpc-tls-client-cert",
        env = "SHOP_GRPC_TLS_CLIENT_CERT",
        value_name = "SHOP_GRPC_TLS_CLIENT_CERT",
        requires = "client_key"
    )]
    pub tls_client_cert: Option<PathBuf>,

    /// PEM private key of SHOP_GRPC_TLS_CLIENT_CERT.
    #[arg(
        id = "client_key",
        long = "grpc-tls-client-key",
        env = "SHOP_GRPC_TLS_CLIENT_KEY",
        value_name = "SHOP_GRPC_TLS_CLIENT_KEY",
        requires = "tls_client_cert"
    )]
    pub tls_client_key: Option<PathBuf>,
}

impl fmt::Debug for GrpcSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcSecurity")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("tls_cert", &self.tls_cert)
            .field("tls_client_ca", &self.tls_client_ca)
            .field("tls_ca", &self.tls_ca)
            .field("tls_client_cert", &self.tls_client_cert)
            .finish_non_exhaustive()
    }
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

impl GrpcSecurity {
    /// The token, if set and not blank.
    pub fn token(&self) -> Option<&str> {
        self.token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// The servers' TLS settings, when a certificate is configured.
    pub fn server_tls(&self) -> Result<Option<ServerTlsConfig>, TlsFileError> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let identity = Identity::from_pem(
            read("SHOP_GRPC_TLS_CERT", cert)?,
            read("SHOP_GRPC_TLS_KEY", key)?,
        );
        let mut tls = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.tls_client_ca {
            tls = tls.client_ca_root(Certificate::from_pem(read("SHOP_GRPC_TLS_CLIENT_CA", ca)?));
        }
        Ok(Some(tls))
    }

    /// The clients' TLS settings for `https://` URLs.
    pub fn client_tls(&self) -> Result<ClientTlsConfig, TlsFileError> {
        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &self.tls_ca {
            tls = tls.ca_certificate(Certificate::from_pem(read("SHOP_GRPC_TLS_CA", ca)?));
        }
        if let (Some(cert), Some(key)) = (&self.tls_client_cert, &self.tls_client_key) {
            tls = tls.identity(Identity::from_pem(
                read("SHOP_GRPC_TLS_CLIENT_CERT", cert)?,
                read("SHOP_GRPC_TLS_CLIENT_KEY", key)?,
            ));
        }
        Ok(tls)
    }
}
