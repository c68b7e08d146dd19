//! Mails as owned, easy-to-assert data, parsed with `mail-parser`.

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// A mail broken into the parts tests look at. Works on anything RFC 5322: what
/// [`SmtpSink`](super::SmtpSink) received, or an `.eml` file written by the file mailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    /// The Subject header, decoded.
    pub subject: Option<String>,
    /// The Message-ID header without angle brackets.
    pub message_id: Option<String>,
    /// The From address (`invoices@…`).
    pub from: Option<String>,
    /// The To addresses.
    pub to: Vec<String>,
    /// The display name of the first To mailbox, decoded (RFC 2047).
    pub to_name: Option<String>,
    /// The first text/plain part, decoded.
    pub text: Option<String>,
    /// The first text/html part, decoded.
    pub html: Option<String>,
    /// Every part's MIME type in order, e.g. `multipart/mixed`, `multipart/alternative`,
    /// `text/plain`, `text/html`, `application/pdf`.
    pub content_types: Vec<String>,
    /// The attachments.
    pub attachments: Vec<ParsedAttachment>,
}

/// One attachment of a [`ParsedMail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAttachment {
    /// Its file name, if it has one.
    pub name: Option<String>,
    /// Its MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// Its decoded bytes.
    pub bytes: Vec<u8>,
}

impl ParsedMail {
    /// Parses a raw mail; `None` if it is not one.
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let message = MessageParser::default().parse(raw)?;
        let first_to = message.to().and_then(|to| to.first());
        let text = message
            .text_bodies()
            .find(|part| mime_type(part) == "text/plain")
            .and_then(|part| part.text_contents().map(str::to_owned));
        let html = message
            .html_bodies()
            .find(|part| mime_type(part) == "text/html")
            .and_then(|part| part.text_contents().map(str::to_owned));
        let attachments = message
            .attachments()
            .map(|part| ParsedAttachment {
                name: part.attachment_name().map(str::to_owned),
                content_type: mime_type(part),
                bytes: part.contents().to_vec(),
            })
            .collect();
        Some(Self {
            subject: message.subject().map(str::to_owned),
            message_id: message.message_id().map(str::to_owned),
            from: message
                .from()
                .and_then(|from| from.first())
                .and_then(|addr| addr.address())
                .map(str::to_owned),
            to: message
                .to()
                .map(|to| {
                    to.iter()
                        .filter_map(|addr| addr.address().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            to_name: first_to.and_then(|addr| addr.name()).map(str::to_owned),
            text,
            html,
            content_types: message.parts.iter().map(mime_type).collect(),
            attachments,
        })
    }

    /// The attachment with this file name.
    pub fn attachment(&self, name: &str) -> Option<&ParsedAttachment> {
        self.attachments
            .iter()
            .find(|attachment| attachment.name.as_deref() == Some(name))
    }
}

/// `type/subtype` in lower case; parts without a Content-Type are text/plain (RFC 2045).
fn mime_type(part: &mail_parser::MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None if matches!(part.body, PartType::Multipart(_)) => "multipart/mixed".to_owned(),
        None => "text/plain".to_owned(),
    }
}
