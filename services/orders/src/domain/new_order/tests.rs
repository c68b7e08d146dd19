use super::*;

fn form() -> OrderForm {
    OrderForm {
        customer_email: "ada@example.com".into(),
        customer_name: "Ada".into(),
        customer_address: String::new(),
        currency: "eur".into(),
        items: vec![
            ItemForm {
                product_id: "00000000-0000-7000-8000-00000000000a".into(),
                name: "Mug".into(),
                quantity: 2,
                unit_price_minor: 1250,
                tax_rate_bp: 1900,
            },
            ItemForm {
                product_id: "00000000-0000-7000-8000-00000000000b".into(),
                name: "Tea".into(),
                quantity: 1,
                unit_price_minor: 499,
                tax_rate_bp: 0,
            },
        ],
    }
}

#[test]
fn a_valid_order_parses_with_its_total() {
    let order = NewOrder::parse(&form()).unwrap();
    assert_eq!(order.total_minor, 2 * 1250 + 499);
    assert_eq!(order.currency.as_str(), "EUR");
    assert_eq!(order.items.len(), 2);
}

#[test]
fn each_bad_field_is_named() {
    type Breaker = Box<dyn Fn(&mut OrderForm)>;
    let cases: Vec<(&str, Breaker)> = vec![
        (
            "customer_email",
            Box::new(|f| f.customer_email = "nope".into()),
        ),
        ("customer_name", Box::new(|f| f.customer_name = "".into())),
        ("currency", Box::new(|f| f.currency = "EURO".into())),
        ("items", Box::new(|f| f.items.clear())),
        (
            "items[1].product_id",
            Box::new(|f| f.items[1].product_id = "x".into()),
        ),
        ("items[0].name", Box::new(|f| f.items[0].name = " ".into())),
        ("items[1].quantity", Box::new(|f| f.items[1].quantity = 0)),
        ("items[0].quantity", Box::new(|f| f.items[0].quantity = -2)),
        (
            "items[1].unit_price_minor",
            Box::new(|f| f.items[1].unit_price_minor = -1),
        ),
        (
            "items[1].tax_rate_bp",
            Box::new(|f| f.items[1].tax_rate_bp = 10_001),
        ),
        (
            "customer_address",
            Box::new(|f| f.customer_address = "a\u{7}b".into()),
        ),
    ];
    for (field, break_it) in cases {
        let mut f = form();
        break_it(&mut f);
        assert_eq!(NewOrder::parse(&f).unwrap_err().field, field);
    }
}

#[test]
fn tax_rates_and_the_address_are_kept_and_optional() {
    let order = NewOrder::parse(&form()).unwrap();
    assert_eq!(order.items[0].tax_rate.basis_points(), 1900);
    assert_eq!(order.items[1].tax_rate, TaxRate::default(), "0: no tax");
    assert_eq!(order.customer_address, None);
    let mut f = form();
    f.customer_address = "Hauptstr. 1; Berlin".into();
    let order = NewOrder::parse(&f).unwrap();
    assert_eq!(
        order.customer_address.map(|a| a.as_str().to_owned()),
        Some("Hauptstr. 1; Berlin".to_owned())
    );
}

#[test]
fn a_free_item_is_allowed() {
    let mut f = form();
    f.items[1].unit_price_minor = 0;
    assert_eq!(NewOrder::parse(&f).unwrap().total_minor, 2500);
}
