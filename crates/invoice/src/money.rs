//! Money in integer minor units, formatted with the currency's ISO 4217 exponent.

use iso_currency::Currency;

/// The exponent used when a code is unknown or has none (e.g. `XAU`): most currencies have 2,
/// and printing cents is the least surprising guess.
const DEFAULT_EXPONENT: u32 = 2;

/// How many decimals the currency's minor unit has: `EUR`/`USD` 2, `JPY` 0, `KWD` 3.
///
/// The table is `iso_currency`'s copy of ISO 4217. Codes are matched case-insensitively;
/// unknown codes, and codes without a minor unit such as `XAU`, get 2.
pub fn currency_exponent(code: &str) -> u32 {
    Currency::from_code(&code.trim().to_ascii_uppercase())
        .and_then(|currency| currency.exponent())
        .map_or(DEFAULT_EXPONENT, u32::from)
}

/// Formats minor units with the currency's decimals and its code:
/// `(1234, "EUR")` → `12.34 EUR`, `(1234, "JPY")` → `1234 JPY`, `(1234, "KWD")` → `1.234 KWD`.
///
/// No grouping separators and a `.` decimal point whatever the customer's locale: the output
/// must be unambiguous on an invoice, and `1.234` means different things in Berlin and Boston.
pub fn format_minor(amount_minor: i64, currency: &str) -> String {
    let code = currency.trim().to_ascii_uppercase();
    format!("{} {code}", format_digits(amount_minor, &code))
}

/// The number alone, without the code: `(1234, "EUR")` → `12.34`. For table columns whose
/// heading names the currency.
pub(crate) fn format_digits(amount_minor: i64, currency: &str) -> String {
    let exponent = currency_exponent(currency);
    let sign = if amount_minor < 0 { "-" } else { "" };
    // unsigned_abs: i64::MIN has no positive i64 counterpart.
    let magnitude = amount_minor.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u64.pow(exponent);
    let (major, minor) = (magnitude / scale, magnitude % scale);
    let width = exponent as usize;
    format!("{sign}{major}.{minor:0width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_currencies_have_their_iso_exponents() {
        assert_eq!(currency_exponent("EUR"), 2);
        assert_eq!(currency_exponent("USD"), 2);
        assert_eq!(currency_exponent("JPY"), 0);
        assert_eq!(currency_exponent("KWD"), 3);
    }

    #[test]
    fn unknown_or_unitless_currencies_default_to_two_decimals() {
        assert_eq!(currency_exponent("ABC"), 2);
        assert_eq!(currency_exponent(""), 2);
        assert_eq!(currency_exponent("XAU"), 2);
    }

    #[test]
    fn currency_codes_are_matched_case_insensitively() {
        assert_eq!(currency_exponent("jpy"), 0);
        assert_eq!(format_minor(500, "jpy"), "500 JPY");
    }

    #[test]
    fn amounts_are_formatted_with_the_currency_exponent() {
        assert_eq!(format_minor(1234, "EUR"), "12.34 EUR");
        assert_eq!(format_minor(5, "USD"), "0.05 USD");
        assert_eq!(format_minor(0, "EUR"), "0.00 EUR");
        assert_eq!(format_minor(1234, "JPY"), "1234 JPY");
        assert_eq!(format_minor(1234, "KWD"), "1.234 KWD");
        assert_eq!(format_minor(7, "KWD"), "0.007 KWD");
    }

    #[test]
    fn negative_amounts_keep_their_sign_before_the_digits() {
        assert_eq!(format_minor(-5, "EUR"), "-0.05 EUR");
        assert_eq!(format_minor(-1234, "JPY"), "-1234 JPY");
        assert_eq!(format_minor(i64::MIN, "EUR"), "-92233720368547758.08 EUR");
    }
}
