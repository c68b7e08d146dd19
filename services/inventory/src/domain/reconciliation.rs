//! Reconciliation: what consistent counters are, and how a drift is described.

use super::ids::ProductId;

/// A product's counters next to what its reservations say they should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductCounters {
    /// The product.
    pub product_id: ProductId,
    /// Its SKU.
    pub sku: String,
    /// Units on hand.
    pub stock: i64,
    /// Units the counter says are reserved.
    pub stock_reserved: i64,
    /// The sum of its active reservations.
    pub active_reserved: i64,
}

impl ProductCounters {
    /// What is wrong with these counters, if anything.
    pub fn problem(&self) -> Option<String> {
        let mut problems = Vec::new();
        if self.stock_reserved != self.active_reserved {
            problems.push(format!(
                "stock_reserved is {} but its active reservations hold {}",
                self.stock_reserved, self.active_reserved
            ));
        }
        if self.stock < 0 {
            problems.push(format!("stock is negative ({})", self.stock));
        }
        if self.stock_reserved < 0 {
            problems.push(format!(
                "stock_reserved is negative ({})",
                self.stock_reserved
            ));
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(stock: i64, stock_reserved: i64, active_reserved: i64) -> ProductCounters {
        ProductCounters {
            product_id: ProductId::generate(),
            sku: "MUG".into(),
            stock,
            stock_reserved,
            active_reserved,
        }
    }

    #[test]
    fn counters_matching_their_reservations_have_no_problem() {
        assert_eq!(counters(10, 3, 3).problem(), None);
        // Stock below what is reserved is allowed (adjusted down); it is not drift.
        assert_eq!(counters(2, 3, 3).problem(), None);
    }

    #[test]
    fn drift_and_negative_counters_are_described() {
        let problem = counters(10, 4, 3).problem().unwrap();
        assert!(problem.contains("stock_reserved is 4 but its active reservations hold 3"));
        assert!(
            counters(-1, 0, 0)
                .problem()
                .unwrap()
                .contains("stock is negative")
        );
        assert!(
            counters(1, -1, -1)
                .problem()
                .unwrap()
                .contains("stock_reserved is negative")
        );
    }
}
