//! One SMTP conversation (RFC 5321), server side, just enough for real clients.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::smtp_sink::{ReceivedMail, State, Verdict};

/// Longest command or data line accepted; RFC 5321 asks for 1000, clients stay well below.
const MAX_LINE: u64 = 64 * 1024;
/// Largest message kept; bigger ones are read to the end and refused with 552.
const MAX_MESSAGE: usize = 32 * 1024 * 1024;
const GREETING: &str = "220 shop-smtp-sink ESMTP ready\r\n";
const EHLO_REPLY: &str =
    "250-shop-smtp-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-SIZE 33554432\r\n250 HELP\r\n";

/// The envelope collected so far in this session.
#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

/// Serves one client until QUIT, EOF or an I/O error.
pub(super) async fn session(stream: TcpStream, state: Arc<State>) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(GREETING.as_bytes()).await?;
    let mut envelope = Envelope::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read_line(&mut reader, &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                envelope = Envelope::default();
                EHLO_REPLY.to_owned()
            }
            "HELO" => {
                envelope = Envelope::default();
                "250 shop-smtp-sink\r\n".to_owned()
            }
            "MAIL" => match path_after(argument, "FROM:") {
                None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".to_owned(),
                Some(from) => match state.verdict() {
                    Verdict::Refuse => "451 4.3.0 Not now, try again later\r\n".to_owned(),
                    Verdict::Reject => "550 5.7.1 Mail refused\r\n".to_owned(),
                    Verdict::Accept => {
                        envelope = Envelope {
                            from: Some(from),
                            to: Vec::new(),
                        };
                        "250 2.1.0 OK\r\n".to_owned()
                    }
                },
            },
            "RCPT" => match (&envelope.from, path_after(argument, "TO:")) {
                (None, _) => "503 5.5.1 MAIL first\r\n".to_owned(),
                (Some(_), None) => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".to_owned(),
                (Some(_), Some(to)) => {
                    envelope.to.push(to);
                    "250 2.1.5 OK\r\n".to_owned()
                }
            },
            "DATA" if envelope.to.is_empty() => "503 5.5.1 RCPT first\r\n".to_owned(),
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut reader).await? else {
                    return Ok(());
                };
                let envelope = std::mem::take(&mut envelope);
                if data.len() > MAX_MESSAGE {
                    "552 5.3.4 Message too big\r\n".to_owned()
                } else {
                    let number = state.store(ReceivedMail {
                        mail_from: envelope.from.unwrap_or_default(),
                        rcpt_to: envelope.to,
                        data,
                    });
                    format!("250 2.0.0 OK queued as {number}\r\n")
                }
            }
            "RSET" => {
                envelope = Envelope::default();
                "250 2.0.0 OK\r\n".to_owned()
            }
            "NOOP" => "250 2.0.0 OK\r\n".to_owned(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            "VRFY" => "252 2.5.0 Cannot verify, will accept\r\n".to_owned(),
            "" => "500 5.5.2 Empty command\r\n".to_owned(),
            _ => "502 5.5.1 Command not implemented\r\n".to_owned(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// Reads one line including its `\n`, at most [`MAX_LINE`] bytes; 0 at EOF.
async fn read_line(
    reader: &mut BufReader<impl AsyncReadExt + Unpin>,
    line: &mut Vec<u8>,
) -> io::Result<usize> {
    (&mut *reader).take(MAX_LINE).read_until(b'\n', line).await
}

/// Reads the message after `354` up to the lone `.` line, undoing dot-stuffing (RFC 5321
/// 4.5.2: a line starting with `.` was sent with one more `.`). Returns `None` if the client
/// hung up first. Stops storing (but keeps reading) once the message exceeds the limit.
async fn read_data(
    reader: &mut BufReader<impl AsyncReadExt + Unpin>,
) -> io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read_line(reader, &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(data));
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() <= MAX_MESSAGE {
            data.extend_from_slice(content);
        }
    }
}

/// The address in `FROM:<a@b> BODY=8BITMIME` (prefix matched case-insensitively, parameters
/// ignored), without angle brackets; `<>` (the null sender) gives an empty string.
fn path_after(argument: &str, prefix: &str) -> Option<String> {
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let path = argument[prefix.len()..].trim_start();
    let path = path.split_whitespace().next().unwrap_or("");
    let address = path.strip_prefix('<')?.strip_suffix('>')?;
    Some(address.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_paths_are_read_without_brackets_and_parameters() {
        assert_eq!(
            path_after("FROM:<a@b.c> BODY=8BITMIME", "FROM:").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(path_after("to: <x@y>", "TO:").as_deref(), Some("x@y"));
        assert_eq!(path_after("FROM:<>", "FROM:").as_deref(), Some(""));
        assert_eq!(path_after("FROM:a@b", "FROM:"), None);
        assert_eq!(path_after("TO:<x@y>", "FROM:"), None);
    }

    #[tokio::test]
    async fn data_is_dot_unstuffed_and_ends_at_the_lone_dot() {
        let raw: &[u8] = b"Subject: x\r\n\r\n..leading dot\r\n.\r\nnot read\r\n";
        let mut reader = BufReader::new(raw);
        let data = read_data(&mut reader)
            .await
            .expect("read")
            .expect("complete");
        assert_eq!(data, b"Subject: x\r\n\r\n.leading dot\r\n");
    }

    #[tokio::test]
    async fn data_cut_off_by_a_hang_up_is_not_a_message() {
        let mut reader = BufReader::new(&b"Subject: x\r\n\r\nhalf"[..]);
        assert_eq!(read_data(&mut reader).await.expect("read"), None);
    }
}
