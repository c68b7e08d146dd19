//! The one validation error: which field, and what is wrong with it.

/// A request field that failed to parse. `field` is the request's field path as clients
/// see it, e.g. `lines[2].quantity`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidField {
    /// Path of the field in the request.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl InvalidField {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Quotes client input for an error message, cut short so that huge inputs stay out of logs.
pub(crate) fn quoted(raw: &str) -> String {
    const MAX: usize = 40;
    if raw.chars().count() <= MAX {
        format!("{raw:?}")
    } else {
        let head: String = raw.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}
