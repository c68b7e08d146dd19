//! Sending a composed mail: over SMTP, or into a directory of `.eml` files.

mod error;
mod file;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::OnceCell;

use crate::config::{MailConfig, redact_url};
pub use error::{MailerError, SendError};

/// Sends mails where [`MailConfig`] says: to an SMTP server (TLS by rustls, connections
/// pooled and reused), or, without `SHOP_SMTP_URL`, as `.eml` files under `SHOP_MAIL_DIR`.
///
/// Cloning is cheap and clones share the connection pool.
#[derive(Clone)]
pub struct Mailer {
    target: Arc<Target>,
}

#[expect(
    clippy::large_enum_variant,
    reason = "one per Mailer, behind an Arc; boxing would only add an allocation"
)]
enum Target {
    Smtp {
        builder: AsyncSmtpTransportBuilder,
        // Built on first use: building starts the pool's cleanup task, which needs a running
        // tokio runtime, and `Mailer::new` should work before one exists.
        transport: OnceCell<AsyncSmtpTransport<Tokio1Executor>>,
        /// The URL with its password replaced, for logs and errors.
        endpoint: String,
    },
    Dir(PathBuf),
}

impl Mailer {
    /// SMTP when `config` has a (non-blank) SMTP URL, otherwise files under its mail dir.
    pub fn new(config: &MailConfig) -> Result<Self, MailerError> {
        match config.smtp_url() {
            Some(url) => Self::smtp(url),
            None => Self::dir(&config.mail_dir),
        }
    }

    /// Sends over SMTP to `url` (`smtp://`, `smtp://…?tls=required`, `smtps://`, with
    /// optional `user:pass@`). Checks the URL now; connects on the first send.
    pub fn smtp(url: &str) -> Result<Self, MailerError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            MailerError::SmtpUrl {
                url: redact_url(url),
                reason: e.to_string(),
            }
        })?;
        Ok(Self::with_target(Target::Smtp {
            builder,
            transport: OnceCell::new(),
            endpoint: redact_url(url),
        }))
    }

    /// Writes each mail as an `.eml` file under `dir`, creating it now if missing.
    pub fn dir(dir: impl AsRef<Path>) -> Result<Self, MailerError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|source| MailerError::MailDir {
            path: dir.clone(),
            source,
        })?;
        Ok(Self::with_target(Target::Dir(dir)))
    }

    fn with_target(target: Target) -> Self {
        Self {
            target: Arc::new(target),
        }
    }

    /// Delivers one mail. Does not retry; that is the caller's policy.
    pub async fn send(&self, message: &Message) -> Result<Delivery, SendError> {
        match &*self.target {
            Target::Smtp {
                builder,
                transport,
                endpoint,
            } => {
                let transport = transport
                    .get_or_init(|| async { builder.clone().build() })
                    .await;
                match transport.send(message.clone()).await {
                    Ok(response) => {
                        let text: Vec<&str> = response.message().collect();
                        let response = format!("{} {}", response.code(), text.join(" "));
                        Ok(Delivery::Smtp {
                            endpoint: endpoint.clone(),
                            response: response.trim_end().to_owned(),
                        })
                    }
                    Err(source) => Err(error::classify(endpoint, source)),
                }
            }
            Target::Dir(dir) => file::write_eml(dir, message).await.map(Delivery::File),
        }
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.target {
            Target::Smtp { endpoint, .. } => f.debug_tuple("Mailer::Smtp").field(endpoint).finish(),
            Target::Dir(dir) => f.debug_tuple("Mailer::Dir").field(dir).finish(),
        }
    }
}

/// Where a mail went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the SMTP server.
    Smtp {
        /// The server, password redacted.
        endpoint: String,
        /// The server's answer to the message, e.g. `250 OK queued as 1A2B`.
        response: String,
    },
    /// Written to this `.eml` file.
    File(PathBuf),
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Smtp { endpoint, response } => write!(f, "accepted by {endpoint}: {response}"),
            Self::File(path) => write!(f, "written to {}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_smtp_urls_are_refused_naming_the_variable_without_the_password() {
        for url in ["ftp://user:s3cret@host", "smtp://user:s3cret@", "not a url"] {
            let err = Mailer::smtp(url).expect_err(url).to_string();
            assert!(err.contains("SHOP_SMTP_URL"), "{err}");
            assert!(!err.contains("s3cret"), "{err}");
        }
    }
}
