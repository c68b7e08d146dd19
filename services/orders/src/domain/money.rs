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

/// The tax rate included in an item's (gross) price, in basis points: 0 (no tax) to
/// 10 000 (100 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TaxRate(u32);

impl TaxRate {
    /// The highest rate, 100 %.
    pub const MAX_BP: u32 = shop_invoice::tax::MAX_TAX_RATE_BP;

    /// Parses request field `field` (e.g. `items[0].tax_rate_bp`).
    pub fn parse(field: &str, raw: i32) -> Result<Self, InvalidField> {
        u32::try_from(raw)
            .ok()
            .filter(|bp| *bp <= Self::MAX_BP)
            .map(Self)
            .ok_or_else(|| {
                InvalidField::new(
                    field,
                    format!(
                        "must be a tax rate in basis points between 0 and {} (1900 = 19 %), got {raw}",
                        Self::MAX_BP
                    ),
                )
            })
    }

    /// A stored rate (checked by the database to be in range).
    pub fn from_stored(bp: i32) -> Self {
        Self(u32::try_from(bp).unwrap_or(0).min(Self::MAX_BP))
    }

    /// The rate in basis points.
    pub fn basis_points(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_rates_are_basis_points_from_zero_to_one_hundred_percent() {
        assert_eq!(TaxRate::parse("r", 0).unwrap().basis_points(), 0);
        assert_eq!(TaxRate::parse("r", 1900).unwrap().basis_points(), 1900);
        assert_eq!(TaxRate::parse("r", 10_000).unwrap().basis_points(), 10_000);
        for bad in [-1, 10_001, i32::MAX] {
            let err = TaxRate::parse("items[2].tax_rate_bp", bad).unwrap_err();
            assert_eq!(err.field, "items[2].tax_rate_bp");
            assert!(err.reason.contains(&bad.to_string()), "{err}");
        }
    }

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
