//! File mode: one `.eml` file per mail.

use std::path::{Path, PathBuf};

use chrono::Utc;
use lettre::Message;

use super::SendError;

/// Writes the mail to `<dir>/<UTC time>-<Message-ID>.eml` and logs the path. The time prefix
/// sorts files by sending order and keeps a resend from overwriting the first copy; the file
/// appears complete or not at all (written under a temporary name, then renamed).
pub(super) async fn write_eml(dir: &Path, message: &Message) -> Result<PathBuf, SendError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SendError::File { path, source }
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(io_error(dir))?;
    let id = message
        .headers()
        .get_raw("Message-ID")
        .map(file_safe)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let path = dir.join(format!("{stamp}-{id}.eml"));
    let partial = dir.join(format!(".{stamp}-{id}.eml.partial"));
    tokio::fs::write(&partial, message.formatted())
        .await
        .map_err(io_error(&partial))?;
    tokio::fs::rename(&partial, &path)
        .await
        .map_err(io_error(&path))?;
    tracing::info!(path = %path.display(), "mail written to a file (SHOP_SMTP_URL is not set)");
    Ok(path)
}

/// Keeps letters, digits, `-`, `.`, `@` and `_`; the rest (`<`, `>`, `/`, …) becomes `_`.
fn file_safe(id: &str) -> String {
    id.trim()
        .trim_matches(|c| c == '<' || c == '>')
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() => c,
            '-' | '.' | '@' | '_' => c,
            _ => '_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_become_safe_file_names() {
        assert_eq!(
            file_safe("<invoice-1234@shop.invoices>"),
            "invoice-1234@shop.invoices"
        );
        assert_eq!(file_safe("<../../etc/passwd>"), ".._.._etc_passwd");
    }
}
