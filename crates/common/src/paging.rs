//! List paging shared by every service: page sizes and opaque page tokens.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::validation::InvalidField;

/// Default `page_size` of list calls.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest `page_size` of list calls; larger requests get this many.
pub const MAX_PAGE_SIZE: u64 = 1000;

/// Parses `page_size`: 0 means the default; above the maximum means the maximum.
pub fn page_size(raw: i32) -> Result<u64, InvalidField> {
    match raw {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n < 0 => Err(InvalidField::new(
            "page_size",
            format!("must be 0 or more, got {n}"),
        )),
        n => Ok(u64::from(n.unsigned_abs()).min(MAX_PAGE_SIZE)),
    }
}

/// Parses `page_token` (the last id of the previous page); empty means the first page.
pub fn parse_page_token(raw: &str) -> Result<Option<Uuid>, InvalidField> {
    if raw.is_empty() {
        return Ok(None);
    }
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(|| InvalidField::new("page_token", "is not a token this service issued"))
}

/// The `next_page_token` after a page of `len` items whose last id is `last`: empty when the
/// page was not full (there is no next page).
pub fn next_page_token(len: usize, limit: u64, last: Option<Uuid>) -> String {
    match last {
        Some(id) if len as u64 == limit => URL_SAFE_NO_PAD.encode(id.as_bytes()),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(5), Ok(5));
        assert_eq!(page_size(100_000), Ok(MAX_PAGE_SIZE));
        assert_eq!(page_size(-1).unwrap_err().field, "page_size");
    }

    #[test]
    fn tokens_round_trip_and_foreign_ones_are_refused() {
        let id = Uuid::now_v7();
        let token = next_page_token(3, 3, Some(id));
        assert_eq!(parse_page_token(&token), Ok(Some(id)));
        assert_eq!(next_page_token(2, 3, Some(id)), "");
        assert_eq!(parse_page_token(""), Ok(None));
        assert_eq!(parse_page_token("%%%").unwrap_err().field, "page_token");
    }
}
