//! Mail settings: environment variables with matching flags.

use std::fmt;
use std::path::PathBuf;

use lettre::message::Mailbox;

/// The sender when `SHOP_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "shop <invoices@shop.localhost>";

/// Where mails are written when no SMTP server is configured.
pub const DEFAULT_MAIL_DIR: &str = "data/mail";

/// How invoice mails leave the shop: over SMTP when `SHOP_SMTP_URL` is set, otherwise as
/// `.eml` files under `SHOP_MAIL_DIR`.
///
/// `Debug` is written by hand: the SMTP URL may carry a password, which is shown as `***`.
#[derive(clap::Args, Clone)]
pub struct MailConfig {
    /// SMTP server, e.g. `smtp://host:2525` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host` (implicit TLS). Unset or empty: write mails to
    /// SHOP_MAIL_DIR instead.
    //
    // Validated by `Mailer::new`, not by clap: clap's error would echo the raw value,
    // password included.
    #[arg(
        long = "smtp-url",
        env = "SHOP_SMTP_URL",
        value_name = "SHOP_SMTP_URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,

    /// Sender of invoice mails, e.g. `shop <invoices@example.com>`.
    #[arg(
        long = "mail-from",
        env = "SHOP_MAIL_FROM",
        value_name = "SHOP_MAIL_FROM",
        default_value = DEFAULT_MAIL_FROM,
        value_parser = parse_mailbox
    )]
    pub mail_from: Mailbox,

    /// Directory for `.eml` files when SHOP_SMTP_URL is not set; created if missing.
    #[arg(
        long = "mail-dir",
        env = "SHOP_MAIL_DIR",
        value_name = "SHOP_MAIL_DIR",
        default_value = DEFAULT_MAIL_DIR
    )]
    pub mail_dir: PathBuf,
}

impl MailConfig {
    /// The SMTP URL, if one is set and not blank (`SHOP_SMTP_URL=` means "no SMTP", as it
    /// does in compose files that pass an unset variable through).
    pub fn smtp_url(&self) -> Option<&str> {
        self.smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
    }
}

impl fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from.to_string())
            .field("mail_dir", &self.mail_dir)
            .finish()
    }
}

/// Parses a sender such as `shop <invoices@example.com>` or `invoices@example.com`.
pub fn parse_mailbox(raw: &str) -> Result<Mailbox, String> {
    raw.trim()
        .parse()
        .map_err(|e| format!("{e} (expected e.g. `shop <invoices@example.com>`)"))
}

/// Replaces the password of a URL with `***`, so SMTP URLs can be logged.
///
/// Works on the raw text, not a parsed URL, so even a URL too broken to parse never shows
/// its password: everything between the first `:` after `scheme://` and the last `@` goes.
pub(crate) fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let Some(at) = rest.rfind('@') else {
        return url.to_owned();
    };
    let (userinfo, host) = rest.split_at(at);
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}{user}:***{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_smtp_urls() {
        assert_eq!(
            redact_url("smtps://user:s3cret@mail.example.com"),
            "smtps://user:***@mail.example.com"
        );
        assert_eq!(
            redact_url("smtp://user:p@ss:w0rd@host:587?tls=required"),
            "smtp://user:***@host:587?tls=required"
        );
        assert_eq!(redact_url("user:s3cret@host"), "user:***@host");
    }

    #[test]
    fn urls_without_a_password_are_shown_as_they_are() {
        assert_eq!(redact_url("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
        assert_eq!(redact_url("smtps://apikey@host"), "smtps://apikey@host");
    }

    #[test]
    fn senders_with_and_without_a_display_name_are_accepted() {
        let mailbox = parse_mailbox(DEFAULT_MAIL_FROM).expect("default sender");
        assert_eq!(mailbox.email.to_string(), "invoices@shop.localhost");
        assert_eq!(mailbox.name.as_deref(), Some("shop"));
        assert!(parse_mailbox("billing@example.com").is_ok());
        assert!(parse_mailbox("not a mailbox").is_err());
    }
}
