//! Property tests (fuzzing) of order validation: arbitrary client input never panics the
//! parser, and whatever it accepts is a sound order.

use proptest::prelude::*;

use super::{Email, ItemForm, MAX_QUANTITY, MAX_UNIT_PRICE_MINOR, NewOrder, OrderForm};

fn product_id() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
        "\\PC{0,40}",
    ]
}

fn item() -> impl Strategy<Value = ItemForm> {
    (
        product_id(),
        "\\PC{0,30}",
        prop_oneof![any::<i32>(), 1..=5i32],
        prop_oneof![any::<i64>(), 0..=100_000i64],
        prop_oneof![any::<i32>(), 0..=10_000i32],
    )
        .prop_map(
            |(product_id, name, quantity, unit_price_minor, tax_rate_bp)| ItemForm {
                product_id,
                name,
                quantity,
                unit_price_minor,
                tax_rate_bp,
            },
        )
}

fn form() -> impl Strategy<Value = OrderForm> {
    (
        prop_oneof!["[a-z]{1,8}@[a-z]{1,8}\\.[a-z]{2,3}", "\\PC{0,60}"],
        "\\PC{0,30}",
        prop_oneof![
            proptest::sample::select(vec!["EUR", "usd", "JPY", "KWD"]).prop_map(String::from),
            "[A-Za-z]{3}",
            "\\PC{0,5}"
        ],
        proptest::collection::vec(item(), 0..6),
        "\\PC{0,40}",
    )
        .prop_map(
            |(customer_email, customer_name, currency, items, customer_address)| OrderForm {
                customer_email,
                customer_name,
                customer_address,
                currency,
                items,
            },
        )
}

proptest! {
    #[test]
    fn whatever_is_accepted_is_a_sound_order(form in form()) {
        if let Ok(order) = NewOrder::parse(&form) {
            prop_assert!(!order.items.is_empty());
            prop_assert_eq!(order.items.len(), form.items.len());
            let total: i64 = order.items.iter().map(|i| i64::from(i.quantity) * i.unit_price_minor).sum();
            prop_assert_eq!(order.total_minor, total);
            for item in &order.items {
                prop_assert!((1..=MAX_QUANTITY).contains(&item.quantity));
                prop_assert!((0..=MAX_UNIT_PRICE_MINOR).contains(&item.unit_price_minor));
                prop_assert!(item.tax_rate.basis_points() <= 10_000);
                prop_assert!(!item.name.as_str().trim().is_empty());
            }
            let currency = order.currency.as_str();
            prop_assert!(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()));
            prop_assert!(iso_currency::Currency::from_code(currency).is_some());
        }
    }

    #[test]
    fn emails_never_panic_the_parser(raw in "\\PC{0,300}") {
        if let Ok(email) = Email::parse(&raw) {
            prop_assert!(email.as_str().contains('@') && email.as_str().len() <= 254);
        }
    }
}
