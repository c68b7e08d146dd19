//! Tax on an invoice: per-rate net, tax and gross, exact in integer minor units.
//!
//! Prices are **gross** (tax included), as customers see and pay them; a line's tax rate is in
//! basis points (`1900` = 19 %, `0` = no tax). The tax is worked out once per rate, on the sum
//! of that rate's line totals, not per line and then summed, so the printed figures add up:
//!
//! - `gross` = the sum of the rate's line totals (what was charged);
//! - `tax` = `gross × rate / (10000 + rate)`, rounded to the nearest minor unit, halves up
//!   (away from zero: amounts are never negative);
//! - `net` = `gross − tax`.
//!
//! So `net + tax = gross` exactly for every rate, the grosses add up to the order total, and
//! each rate's tax is within half a minor unit of the exact value. Example: 0.03 EUR at 20 %
//! holds 0.005 tax, printed as 0.01 tax and 0.02 net.

use std::collections::BTreeMap;
use std::fmt;

use crate::invoice::InvoiceLine;

/// The largest tax rate: 100 % (10 000 basis points).
pub const MAX_TAX_RATE_BP: u32 = 10_000;

/// One tax rate's share of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxBreakdown {
    /// The rate in basis points (`1900` = 19 %).
    pub rate_bp: u32,
    /// The amount before tax, in minor units.
    pub net_minor: i64,
    /// The tax, in minor units.
    pub tax_minor: i64,
    /// What was charged at this rate, tax included, in minor units.
    pub gross_minor: i64,
}

/// The invoice's totals over every rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaxTotals {
    /// Sum of the nets.
    pub net_minor: i64,
    /// Sum of the taxes.
    pub tax_minor: i64,
    /// Sum of the grosses: what the customer paid.
    pub gross_minor: i64,
}

/// Splits gross `amount_minor` charged at `rate_bp` into `(net, tax)` by the rule above.
pub fn split_gross(gross_minor: i64, rate_bp: u32) -> (i64, i64) {
    let (gross, rate) = (i128::from(gross_minor), i128::from(rate_bp));
    let divisor = 10_000 + rate;
    // Round half up: floor((2·g·r + d) / 2d). i128: g (≤ i64) × r (≤ 10⁴) cannot overflow.
    let tax = (2 * gross * rate + divisor).div_euclid(2 * divisor);
    // |tax| ≤ |gross|, so it fits back into i64.
    let tax = i64::try_from(tax).unwrap_or(gross_minor);
    (gross_minor - tax, tax)
}

/// One [`TaxBreakdown`] per rate used by `lines`, lowest rate first.
pub fn tax_breakdown(lines: &[InvoiceLine]) -> Vec<TaxBreakdown> {
    let mut gross_by_rate: BTreeMap<u32, i64> = BTreeMap::new();
    for line in lines {
        *gross_by_rate.entry(line.tax_rate_bp).or_default() += line.line_total_minor;
    }
    gross_by_rate
        .into_iter()
        .map(|(rate_bp, gross_minor)| {
            let (net_minor, tax_minor) = split_gross(gross_minor, rate_bp);
            TaxBreakdown {
                rate_bp,
                net_minor,
                tax_minor,
                gross_minor,
            }
        })
        .collect()
}

/// The totals of a breakdown.
pub fn tax_totals(breakdown: &[TaxBreakdown]) -> TaxTotals {
    breakdown
        .iter()
        .fold(TaxTotals::default(), |sum, rate| TaxTotals {
            net_minor: sum.net_minor + rate.net_minor,
            tax_minor: sum.tax_minor + rate.tax_minor,
            gross_minor: sum.gross_minor + rate.gross_minor,
        })
}

/// A rate as printed: `1900` → `19%`, `750` → `7.5%`, `25` → `0.25%`, `0` → `0%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percent(pub u32);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        match fraction {
            0 => write!(f, "{whole}%"),
            f10 if f10 % 10 == 0 => write!(f, "{whole}.{}%", f10 / 10),
            _ => write!(f, "{whole}.{fraction:02}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn line(total: i64, rate_bp: u32) -> InvoiceLine {
        InvoiceLine {
            name: "x".to_owned(),
            quantity: 1,
            unit_price_minor: total,
            line_total_minor: total,
            tax_rate_bp: rate_bp,
        }
    }

    #[test]
    fn gross_amounts_split_into_net_and_tax_rounding_half_up() {
        // (gross, rate, net, tax)
        let table = [
            (119, 1900, 100, 19),
            (100, 1900, 84, 16),  // 15.966… → 16
            (1, 1900, 1, 0),      // 0.159… → 0
            (100, 700, 93, 7),    // 6.542… → 7
            (3, 2000, 2, 1),      // exactly 0.5 → 1 (half up)
            (9, 2000, 7, 2),      // exactly 1.5 → 2
            (15, 2000, 12, 3),    // exactly 2.5 → 3
            (1, 10_000, 0, 1),    // exactly 0.5 → 1
            (12345, 0, 12345, 0), // untaxed
            (0, 1900, 0, 0),
        ];
        for (gross, rate, net, tax) in table {
            assert_eq!(split_gross(gross, rate), (net, tax), "{gross} at {rate} bp");
        }
    }

    #[test]
    fn lines_are_grouped_per_rate_and_taxed_on_the_rates_sum() {
        // Per line, 0.01 at 19 % is 0.00 tax; three of them hold 0.03 × 19/119 = 0.0048 → 0.
        // Seven hold 0.07 × 19/119 = 0.0112 → 0.01, not 7 × 0.00.
        let mut lines: Vec<InvoiceLine> = (0..7).map(|_| line(1, 1900)).collect();
        lines.push(line(1070, 700));
        lines.push(line(500, 0));
        let breakdown = tax_breakdown(&lines);
        let expected = [
            TaxBreakdown {
                rate_bp: 0,
                net_minor: 500,
                tax_minor: 0,
                gross_minor: 500,
            },
            TaxBreakdown {
                rate_bp: 700,
                net_minor: 1000,
                tax_minor: 70,
                gross_minor: 1070,
            },
            TaxBreakdown {
                rate_bp: 1900,
                net_minor: 6,
                tax_minor: 1,
                gross_minor: 7,
            },
        ];
        assert_eq!(breakdown, expected);
        assert_eq!(
            tax_totals(&breakdown),
            TaxTotals {
                net_minor: 1506,
                tax_minor: 71,
                gross_minor: 1577
            }
        );
    }

    #[test]
    fn rates_print_as_percentages_without_trailing_zeros() {
        for (bp, printed) in [
            (1900, "19%"),
            (750, "7.5%"),
            (550, "5.5%"),
            (25, "0.25%"),
            (0, "0%"),
            (10_000, "100%"),
        ] {
            assert_eq!(Percent(bp).to_string(), printed);
        }
    }

    proptest! {
        #[test]
        fn per_rate_figures_add_up_exactly_and_each_tax_is_within_half_a_unit(
            lines in proptest::collection::vec(
                (0i64..=10_000_000_000, prop_oneof![Just(0u32), Just(700), Just(1900), 0..=MAX_TAX_RATE_BP]),
                1..40,
            )
        ) {
            let lines: Vec<InvoiceLine> = lines.iter().map(|&(t, r)| line(t, r)).collect();
            let breakdown = tax_breakdown(&lines);
            let order_total: i64 = lines.iter().map(|l| l.line_total_minor).sum();
            for rate in &breakdown {
                prop_assert_eq!(rate.net_minor + rate.tax_minor, rate.gross_minor);
                prop_assert!(rate.net_minor >= 0 && rate.tax_minor >= 0);
                let rate_gross: i64 = lines.iter()
                    .filter(|l| l.tax_rate_bp == rate.rate_bp)
                    .map(|l| l.line_total_minor)
                    .sum();
                prop_assert_eq!(rate.gross_minor, rate_gross);
                // |tax − g·r/(10⁴+r)| ≤ ½, in integers: |2·tax·d − 2·g·r| ≤ d.
                let d = 10_000 + i128::from(rate.rate_bp);
                let error = 2 * i128::from(rate.tax_minor) * d
                    - 2 * i128::from(rate.gross_minor) * i128::from(rate.rate_bp);
                prop_assert!(error.abs() <= d, "{:?}", rate);
                // Exactly half rounds up, never down.
                prop_assert!(error != -d, "{:?}", rate);
            }
            let totals = tax_totals(&breakdown);
            prop_assert_eq!(totals.gross_minor, order_total);
            prop_assert_eq!(totals.net_minor + totals.tax_minor, order_total);
            let rates: Vec<u32> = breakdown.iter().map(|r| r.rate_bp).collect();
            let mut sorted = rates.clone();
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(rates, sorted, "one row per rate, lowest first");
        }
    }
}
