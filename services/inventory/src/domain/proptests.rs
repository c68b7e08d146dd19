//! Property tests (fuzzing) of the inventory's input parsers: arbitrary input never panics
//! them, and whatever they accept keeps their promises.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::{MAX_QUANTITY, ProductName, ReservationLines, Sku, StockDelta};

/// A few fixed products, so that lines repeat products often; and some garbage ids.
fn product_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u128..4).prop_map(|n| uuid::Uuid::from_u128(n + 1).to_string()),
        1 => "\\PC{0,40}",
    ]
}

fn quantity() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 1..=10i64, 1 => any::<i64>(), 1 => Just(MAX_QUANTITY)]
}

proptest! {
    #[test]
    fn accepted_lines_are_summed_per_product_sorted_and_in_range(
        raw in proptest::collection::vec((product_id(), quantity()), 0..12),
    ) {
        if let Ok(lines) = ReservationLines::parse(raw.iter().map(|(id, q)| (id.as_str(), *q))) {
            let mut expected: BTreeMap<String, i64> = BTreeMap::new();
            for (id, q) in &raw {
                *expected.entry(uuid::Uuid::parse_str(id).unwrap().to_string()).or_default() += q;
            }
            let got: Vec<(String, i64)> = lines.iter().map(|l| (l.product_id.to_string(), l.quantity.get())).collect();
            let ids: Vec<_> = lines.iter().map(|l| l.product_id).collect();
            prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted, one line per product");
            prop_assert!(got.iter().all(|(_, q)| (1..=MAX_QUANTITY).contains(q)));
            let mut got_sorted_by_text = got.clone();
            got_sorted_by_text.sort();
            prop_assert_eq!(got_sorted_by_text, expected.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn text_fields_never_panic_their_parsers(raw in "\\PC{0,300}", delta in any::<i64>()) {
        if let Ok(sku) = Sku::parse(&raw) {
            prop_assert!(!sku.as_str().is_empty() && !sku.as_str().contains(char::is_whitespace));
        }
        if let Ok(name) = ProductName::parse(&raw) {
            prop_assert!(!name.as_str().trim().is_empty());
        }
        if let Ok(parsed) = StockDelta::parse(delta) {
            prop_assert!(parsed.get() != 0);
        }
    }
}
