//! Products and the rules of their stock counters.

use chrono::{DateTime, Utc};

use super::ids::ProductId;
use shop_common::validation::{InvalidField, display_name, quoted};

/// The largest stock level or adjustment we accept (10^9 units): far beyond any real
/// warehouse, and within the wire's 32-bit counters.
pub const MAX_UNITS: i64 = 1_000_000_000;

/// A stock-keeping unit: 1–64 characters, no whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku(String);

impl Sku {
    /// Parses the `sku` field.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let field = "sku";
        if raw.is_empty() {
            return Err(InvalidField::new(field, "must not be empty"));
        }
        if raw.chars().count() > 64 {
            return Err(InvalidField::new(field, "must be at most 64 characters"));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidField::new(
                field,
                format!(
                    "must not contain whitespace or control characters, got {}",
                    quoted(raw)
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The SKU.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product's display name: 1–200 characters, not blank, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    /// Parses the `name` field.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        display_name("name", raw).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stock level given by a client: 0 to [`MAX_UNITS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockLevel(i64);

impl StockLevel {
    /// Parses a stock level from request field `field`.
    pub fn parse(field: &str, raw: i64) -> Result<Self, InvalidField> {
        if raw < 0 {
            return Err(InvalidField::new(
                field,
                format!("must be 0 or more, got {raw}"),
            ));
        }
        if raw > MAX_UNITS {
            return Err(InvalidField::new(
                field,
                format!("must be at most {MAX_UNITS}"),
            ));
        }
        Ok(Self(raw))
    }

    /// The number of units.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A change of stock: not 0, at most [`MAX_UNITS`] either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockDelta(i64);

impl StockDelta {
    /// Parses the `delta` field.
    pub fn parse(raw: i64) -> Result<Self, InvalidField> {
        if raw == 0 {
            return Err(InvalidField::new("delta", "must not be 0"));
        }
        if raw.unsigned_abs() > MAX_UNITS.unsigned_abs() {
            return Err(InvalidField::new(
                "delta",
                format!("must be between -{MAX_UNITS} and {MAX_UNITS}"),
            ));
        }
        Ok(Self(raw))
    }

    /// The signed number of units.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A product to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// Unique SKU.
    pub sku: Sku,
    /// Display name.
    pub name: ProductName,
    /// Initial units on hand.
    pub stock: StockLevel,
}

/// A requested change of a product's stock, with the reason kept for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockAdjustment {
    /// The product.
    pub product_id: ProductId,
    /// Units to add or remove.
    pub delta: StockDelta,
    /// Why (free text, at most 500 characters).
    pub reason: String,
    /// Who (an operator's name, at most 100 characters; empty for programs).
    pub operator: String,
}

impl StockAdjustment {
    /// Parses the `reason` and `operator` fields and assembles the adjustment.
    pub fn new(
        product_id: ProductId,
        delta: StockDelta,
        reason: &str,
        operator: &str,
    ) -> Result<Self, InvalidField> {
        if reason.chars().count() > 500 {
            return Err(InvalidField::new(
                "reason",
                "must be at most 500 characters",
            ));
        }
        let operator = operator.trim();
        if operator.chars().count() > 100 || operator.chars().any(char::is_control) {
            return Err(InvalidField::new(
                "operator",
                "must be at most 100 characters, without control characters",
            ));
        }
        Ok(Self {
            product_id,
            delta,
            reason: reason.trim().to_owned(),
            operator: operator.to_owned(),
        })
    }
}

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Its id.
    pub id: ProductId,
    /// Its SKU.
    pub sku: String,
    /// Its display name.
    pub name: String,
    /// Units on hand.
    pub stock: i64,
    /// Units held by active reservations.
    pub stock_reserved: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its counters or fields last changed.
    pub updated_at: DateTime<Utc>,
}

impl Product {
    /// Units that can still be reserved: stock − stock_reserved, never below 0 (stock may
    /// have been adjusted below what is reserved).
    pub fn available(&self) -> i64 {
        (self.stock - self.stock_reserved).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(stock: i64, stock_reserved: i64) -> Product {
        Product {
            id: ProductId::generate(),
            sku: "SKU-1".into(),
            name: "Mug".into(),
            stock,
            stock_reserved,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn available_is_stock_minus_reserved_and_never_negative() {
        assert_eq!(product(10, 3).available(), 7);
        assert_eq!(product(2, 5).available(), 0);
    }

    #[test]
    fn skus_must_be_non_empty_short_and_without_whitespace() {
        assert_eq!(Sku::parse("MUG-001").unwrap().as_str(), "MUG-001");
        assert_eq!(
            Sku::parse("").unwrap_err().to_string(),
            "sku: must not be empty"
        );
        assert!(Sku::parse("MUG 001").is_err());
        assert!(Sku::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn names_must_not_be_blank() {
        assert!(ProductName::parse("  ").is_err());
        assert!(ProductName::parse("Blue mug").is_ok());
        assert!(ProductName::parse("bell\u{7}").is_err());
    }

    #[test]
    fn stock_levels_are_between_zero_and_the_maximum() {
        assert!(StockLevel::parse("stock", -1).is_err());
        assert_eq!(StockLevel::parse("stock", 0).unwrap().get(), 0);
        assert!(StockLevel::parse("stock", MAX_UNITS + 1).is_err());
    }

    #[test]
    fn deltas_must_not_be_zero_or_huge() {
        assert!(StockDelta::parse(0).is_err());
        assert_eq!(StockDelta::parse(-5).unwrap().get(), -5);
        assert!(StockDelta::parse(i64::MIN).is_err());
        assert!(StockDelta::parse(-MAX_UNITS - 1).is_err());
        assert!(StockDelta::parse(MAX_UNITS + 1).is_err());
    }
}
