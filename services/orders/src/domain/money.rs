//! Money: integer minor units (cents for EUR) in an ISO 4217 currency.

use shop_common::validation::{InvalidField, quoted};

/// The largest unit price we accept, in minor units (10^12: ten billion euros).
pub const MAX_UNIT_PRICE_MINOR: i64 = 1_000_000_000_000;

/// An ISO 4217 alphabetic code: three ASCII letters, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(String);

impl Currency {
    /// Parses the `currency` field; `eur` is accepted as `EUR`.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(raw.to_ascii_uppercase()))
        } else {
            Err(InvalidField::new(
                "currency",
                format!(
                    "must be a three-letter ISO 4217 code such as EUR, got {}",
                    quoted(raw)
                ),
            ))
        }
    }

    /// The code, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_three_letters_stored_upper_case() {
        assert_eq!(Currency::parse("EUR").unwrap().as_str(), "EUR");
        assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
        for bad in ["", "EU", "EURO", "E1R", "€€€"] {
            assert_eq!(
                Currency::parse(bad).unwrap_err().field,
                "currency",
                "{bad:?}"
            );
        }
    }
}
