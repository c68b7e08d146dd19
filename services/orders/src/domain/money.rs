//! Money: integer minor units (cents for EUR) in an ISO 4217 currency.

use shop_common::validation::{InvalidField, quoted};

/// The largest unit price we accept, in minor units (10^12: ten billion euros).
pub const MAX_UNIT_PRICE_MINOR: i64 = 1_000_000_000_000;

/// An ISO 4217 currency that has a minor unit (cents for EUR, none for JPY, but not a
/// unitless code such as XAU): the same table, `iso_currency`'s, that the invoice formats
/// amounts with, so an order is never in a currency its invoice cannot print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Parses the `currency` field; `eur` is accepted as `EUR`.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        iso_currency::Currency::from_code(&raw.to_ascii_uppercase())
            .filter(|currency| currency.exponent().is_some())
            .map(Self)
            .ok_or_else(|| {
                InvalidField::new(
                    "currency",
                    format!(
                        "must be an ISO 4217 currency code such as EUR, got {}",
                        quoted(raw)
                    ),
                )
            })
    }

    /// The code, upper-case.
    pub fn as_str(&self) -> &'static str {
        self.0.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_4217_codes_with_a_minor_unit_stored_upper_case() {
        assert_eq!(Currency::parse("EUR").unwrap().as_str(), "EUR");
        assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
        assert_eq!(Currency::parse("JPY").unwrap().as_str(), "JPY");
        for bad in ["", "EU", "EURO", "E1R", "€€€", "ABC", "XAU", "XXX"] {
            assert_eq!(
                Currency::parse(bad).unwrap_err().field,
                "currency",
                "{bad:?}"
            );
        }
    }
}
