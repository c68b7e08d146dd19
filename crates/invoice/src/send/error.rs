//! What can go wrong building a mailer and sending a mail.

use std::path::PathBuf;

use lettre::transport::smtp::Error as SmtpError;

/// Why a [`Mailer`](super::Mailer) could not be built from its settings.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    /// `SHOP_SMTP_URL` is not a URL lettre can connect to. The URL in the message has its
    /// password replaced by `***`.
    #[error("SHOP_SMTP_URL={url} is invalid: {reason}")]
    SmtpUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `SHOP_MAIL_DIR` could not be created.
    #[error("SHOP_MAIL_DIR={} cannot be created: {source}", path.display())]
    MailDir {
        /// The directory.
        path: PathBuf,
        /// Why it could not be created.
        #[source]
        source: std::io::Error,
    },
}

/// Why a mail was not delivered. The worker retries both kinds up to a limit; the kind says
/// whether a retry can be expected to help.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server could not be reached, timed out, dropped the connection, or answered 4xx
    /// ("try again later"). Retrying later may well succeed.
    #[error("transient failure sending to {endpoint}: {source}")]
    Transient {
        /// The server, password redacted.
        endpoint: String,
        /// lettre's error.
        #[source]
        source: SmtpError,
    },
    /// The server answered 5xx (e.g. unknown recipient, message refused), or lettre refused
    /// the mail for this server. The same mail will most likely fail the same way.
    #[error("permanent failure sending to {endpoint}: {source}")]
    Permanent {
        /// The server, password redacted.
        endpoint: String,
        /// lettre's error.
        #[source]
        source: SmtpError,
    },
    /// The `.eml` file could not be written (disk full, permissions); counted as transient.
    #[error("could not write the mail to {}: {source}", path.display())]
    File {
        /// The file (or directory) that could not be written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl SendError {
    /// True unless the failure is [`SendError::Permanent`].
    pub fn is_transient(&self) -> bool {
        !self.is_permanent()
    }

    /// True for 5xx answers and mails lettre would not send to this server.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent { .. })
    }

    /// The SMTP reply code, when the server answered with an error (e.g. 451, 550).
    pub fn smtp_code(&self) -> Option<u16> {
        match self {
            Self::Transient { source, .. } | Self::Permanent { source, .. } => {
                source.status().map(u16::from)
            }
            Self::File { .. } => None,
        }
    }
}

/// 5xx and lettre's own refusals are permanent; everything else (connection refused or
/// reset, timeouts, TLS handshakes, 4xx) may go away by itself.
pub(super) fn classify(endpoint: &str, source: SmtpError) -> SendError {
    let endpoint = endpoint.to_owned();
    if source.is_permanent() || source.is_client() {
        SendError::Permanent { endpoint, source }
    } else {
        SendError::Transient { endpoint, source }
    }
}
