//! The lines of a reservation: quantities per product, parsed, summed and ordered.

use std::collections::BTreeMap;

use shop_common::validation::InvalidField;

use super::ids::ProductId;

/// The largest quantity of one product in one reservation.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// The most lines one reservation may have.
pub const MAX_LINES: usize = 1_000;

/// A number of units to reserve: 1 to [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    /// Parses a quantity from request field `field`.
    pub fn parse(field: &str, raw: i64) -> Result<Self, InvalidField> {
        if raw <= 0 {
            return Err(InvalidField::new(
                field,
                format!("must be more than 0, got {raw}"),
            ));
        }
        if raw > MAX_QUANTITY {
            return Err(InvalidField::new(
                field,
                format!("must be at most {MAX_QUANTITY}"),
            ));
        }
        Ok(Self(raw))
    }

    /// The number of units.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// One product's quantity in a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationLine {
    /// The product.
    pub product_id: ProductId,
    /// Units of it.
    pub quantity: Quantity,
}

/// The lines of a reservation: at least one, one per product (lines for the same product are
/// summed), ordered by product id — the order in which rows are locked, so that concurrent
/// reservations never deadlock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationLines(Vec<ReservationLine>);

impl ReservationLines {
    /// Parses the `lines` field, given as `(product_id, quantity)` pairs.
    pub fn parse<'a>(raw: impl IntoIterator<Item = (&'a str, i64)>) -> Result<Self, InvalidField> {
        let mut summed: BTreeMap<ProductId, i64> = BTreeMap::new();
        for (index, (product_id, quantity)) in raw.into_iter().enumerate() {
            if index >= MAX_LINES {
                return Err(InvalidField::new(
                    "lines",
                    format!("must have at most {MAX_LINES} lines"),
                ));
            }
            let product_id = ProductId::parse(&format!("lines[{index}].product_id"), product_id)?;
            let field = format!("lines[{index}].quantity");
            let quantity = Quantity::parse(&field, quantity)?;
            let total = summed.entry(product_id).or_default();
            *total = Quantity::parse(&field, *total + quantity.get())
                .map_err(|_| {
                    InvalidField::new(
                        &field,
                        format!(
                            "the lines for product {product_id} add up to more than {MAX_QUANTITY}"
                        ),
                    )
                })?
                .get();
        }
        if summed.is_empty() {
            return Err(InvalidField::new("lines", "must have at least one line"));
        }
        Ok(Self(
            summed
                .into_iter()
                .map(|(product_id, quantity)| ReservationLine {
                    product_id,
                    quantity: Quantity(quantity),
                })
                .collect(),
        ))
    }

    /// Rebuilds lines read from storage, where they were stored already normalised.
    pub fn from_stored(lines: impl IntoIterator<Item = (ProductId, i64)>) -> Self {
        let mut lines: Vec<ReservationLine> = lines
            .into_iter()
            .map(|(product_id, quantity)| ReservationLine {
                product_id,
                quantity: Quantity(quantity),
            })
            .collect();
        lines.sort_by_key(|line| line.product_id);
        Self(lines)
    }

    /// The lines, ordered by product id.
    pub fn iter(&self) -> impl Iterator<Item = &ReservationLine> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "00000000-0000-7000-8000-00000000000a";
    const B: &str = "00000000-0000-7000-8000-00000000000b";

    #[test]
    fn lines_for_the_same_product_are_summed_and_ordered_by_product() {
        let lines = ReservationLines::parse([(B, 2), (A, 1), (B, 3)]).unwrap();
        let got: Vec<(String, i64)> = lines
            .iter()
            .map(|l| (l.product_id.to_string(), l.quantity.get()))
            .collect();
        assert_eq!(got, vec![(A.to_string(), 1), (B.to_string(), 5)]);
    }

    #[test]
    fn bad_lines_name_the_offending_field() {
        let err = ReservationLines::parse([]).unwrap_err();
        assert_eq!(err.field, "lines");
        let err = ReservationLines::parse([(A, 1), (B, 0)]).unwrap_err();
        assert_eq!(err.field, "lines[1].quantity");
        let err = ReservationLines::parse([(A, 1), ("x", 1)]).unwrap_err();
        assert_eq!(err.field, "lines[1].product_id");
        let err = ReservationLines::parse([(A, MAX_QUANTITY), (A, 1)]).unwrap_err();
        assert_eq!(err.field, "lines[1].quantity");
        assert!(err.reason.contains("add up"), "{err}");
    }
}
