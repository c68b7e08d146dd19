//! Refunds marked by an operator, and the filters staff find orders by.

use chrono::{DateTime, Utc};
use shop_common::validation::InvalidField;

use super::OrderStatus;

/// Who marked an order's payment refunded, when, and their note: set once, never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// When it was marked.
    pub at: DateTime<Utc>,
    /// The operator's name.
    pub by: String,
    /// How it was refunded (e.g. the payment provider's refund reference).
    pub note: String,
}

/// A valid MarkRefunded request: a named operator and a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundMark {
    /// The operator's name, trimmed, 1–100 characters.
    pub operator: String,
    /// The note, trimmed, 1–1000 characters.
    pub note: String,
}

impl RefundMark {
    /// Parses the `operator` and `note` fields.
    pub fn parse(operator: &str, note: &str) -> Result<Self, InvalidField> {
        Ok(Self {
            operator: required_text("operator", operator, 100)?,
            note: required_text("note", note, 1000)?,
        })
    }
}

fn required_text(field: &str, raw: &str, max_chars: usize) -> Result<String, InvalidField> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(InvalidField::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(InvalidField::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// Which orders a listing shows, and in which order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only in this status (a cancelled filter finds refund-required and refunded orders too).
    pub status: Option<OrderStatus>,
    /// Only of this customer e-mail address, compared in lower case.
    pub customer_email: Option<String>,
    /// Only created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Only created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
}

impl OrderFilter {
    /// Parses the `order_by` field: "created_at" (or empty) is oldest first, "created_at
    /// desc" newest first.
    pub fn parse_order_by(raw: &str) -> Result<bool, InvalidField> {
        let words: Vec<String> = raw.split_whitespace().map(str::to_lowercase).collect();
        match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            [] | ["created_at"] | ["created_at", "asc"] => Ok(false),
            ["created_at", "desc"] => Ok(true),
            _ => Err(InvalidField::new(
                "order_by",
                format!("must be \"created_at\" or \"created_at desc\", got {raw:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_mark_needs_an_operator_and_a_note() {
        let mark = RefundMark::parse(" ada ", " refund re_42 ").unwrap();
        assert_eq!(
            (mark.operator.as_str(), mark.note.as_str()),
            ("ada", "refund re_42")
        );
        assert_eq!(RefundMark::parse("", "x").unwrap_err().field, "operator");
        assert_eq!(RefundMark::parse("ada", "  ").unwrap_err().field, "note");
        assert_eq!(
            RefundMark::parse(&"a".repeat(101), "x").unwrap_err().field,
            "operator"
        );
        assert_eq!(
            RefundMark::parse("ada\u{7}", "x").unwrap_err().field,
            "operator"
        );
    }

    #[test]
    fn order_by_accepts_creation_time_either_way_and_nothing_else() {
        assert_eq!(OrderFilter::parse_order_by(""), Ok(false));
        assert_eq!(OrderFilter::parse_order_by("created_at"), Ok(false));
        assert_eq!(OrderFilter::parse_order_by("created_at  DESC"), Ok(true));
        assert_eq!(
            OrderFilter::parse_order_by("total desc").unwrap_err().field,
            "order_by"
        );
    }
}
