//! The orders of a run. The service benchmark and the SQL baseline (`sql/seed.sql`,
//! `sql/confirm.sql`) spread them over products with the same formula, so that both see the
//! same row-lock contention on the hot product rows.

/// Unit price of every line, in cents.
pub const UNIT_PRICE_MINOR: i64 = 1250;

/// Stock of every product: enough that no order of any run is short.
pub const PRODUCT_STOCK: i32 = 1_000_000_000;

/// One order line: product number (`0..products`) and quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Which product, by creation order.
    pub product: u64,
    /// How many units.
    pub quantity: i32,
}

/// The two lines of order number `n` (0-based) over `products` products (at least 2): two
/// distinct products, quantities `1 + n % 3` and 1. The same formula is in `sql/seed.sql`
/// and `sql/confirm.sql`.
pub fn lines(n: u64, products: u64) -> [Line; 2] {
    let first = n.wrapping_mul(7919) % products;
    let second = (first + 1 + n.wrapping_mul(104_729) % (products - 1)) % products;
    [
        Line {
            product: first,
            quantity: 1 + (n % 3) as i32,
        },
        Line {
            product: second,
            quantity: 1,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_lines_are_on_distinct_products_in_range() {
        for products in [2, 3, 200] {
            for n in 0..5000 {
                let [a, b] = lines(n, products);
                assert_ne!(a.product, b.product, "order {n} over {products}");
                assert!(a.product < products && b.product < products);
                assert!((1..=3).contains(&a.quantity) && b.quantity == 1);
            }
        }
    }

    #[test]
    fn the_formula_matches_the_sql_seed() {
        // What pgbench computed with the expressions of sql/confirm.sql, nproducts = 200.
        for (n, a, b) in [
            (0, 0, 1),
            (1, 119, 175),
            (2, 38, 149),
            (3, 157, 123),
            (5, 195, 72),
        ] {
            assert_eq!(lines(n, 200).map(|l| l.product), [a, b], "order {n}");
        }
    }
}
