//! New orders as clients send them, parsed into valid ones; and orders as stored.

use chrono::{DateTime, Utc};
use shop_common::validation::InvalidField;
use uuid::Uuid;

use super::{
    customer::{CustomerAddress, CustomerName, Email},
    ids::{OrderId, ProductId},
    money::{Currency, MAX_UNIT_PRICE_MINOR, TaxRate},
    order::OrderStatus,
};

/// The most items one order may have.
pub const MAX_ITEMS: usize = 100;
/// The largest quantity of one item.
pub const MAX_QUANTITY: i32 = 1_000_000;

/// An order as a client sent it, before parsing.
#[derive(Debug, Clone, Default)]
pub struct OrderForm {
    /// `customer_email`.
    pub customer_email: String,
    /// `customer_name`.
    pub customer_name: String,
    /// `customer_address` (blank: not given).
    pub customer_address: String,
    /// `currency`.
    pub currency: String,
    /// `items`.
    pub items: Vec<ItemForm>,
}

/// One item as a client sent it.
#[derive(Debug, Clone, Default)]
pub struct ItemForm {
    /// `product_id`.
    pub product_id: String,
    /// `name`.
    pub name: String,
    /// `quantity`.
    pub quantity: i32,
    /// `unit_price_minor`.
    pub unit_price_minor: i64,
    /// `tax_rate_bp`.
    pub tax_rate_bp: i32,
}

/// One valid item of a new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderItem {
    /// The inventory product.
    pub product_id: ProductId,
    /// Its name as sold.
    pub name: CustomerName,
    /// Units, 1 to [`MAX_QUANTITY`].
    pub quantity: i32,
    /// Price of one unit in minor units, 0 to [`MAX_UNIT_PRICE_MINOR`], tax included.
    pub unit_price_minor: i64,
    /// The tax rate included in the price.
    pub tax_rate: TaxRate,
}

/// A valid new order: at least one item, and a total that fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Where the invoice goes.
    pub customer_email: Email,
    /// Who it is for.
    pub customer_name: CustomerName,
    /// Where the customer lives, if given (printed on the invoice).
    pub customer_address: Option<CustomerAddress>,
    /// Currency of every price.
    pub currency: Currency,
    /// The items, in the client's order.
    pub items: Vec<NewOrderItem>,
    /// Sum of quantity × unit price.
    pub total_minor: i64,
}

impl NewOrder {
    /// Parses a client's order; the first bad field is named in the error.
    pub fn parse(form: &OrderForm) -> Result<Self, InvalidField> {
        let customer_email = Email::parse(&form.customer_email)?;
        let customer_name = CustomerName::parse("customer_name", &form.customer_name)?;
        let customer_address = CustomerAddress::parse_optional(&form.customer_address)?;
        let currency = Currency::parse(&form.currency)?;
        if form.items.is_empty() {
            return Err(InvalidField::new("items", "must have at least one item"));
        }
        if form.items.len() > MAX_ITEMS {
            return Err(InvalidField::new(
                "items",
                format!("must have at most {MAX_ITEMS} items"),
            ));
        }
        let mut items = Vec::with_capacity(form.items.len());
        let mut total_minor: i64 = 0;
        for (i, item) in form.items.iter().enumerate() {
            let product_id = ProductId::parse(&format!("items[{i}].product_id"), &item.product_id)?;
            let name = CustomerName::parse(&format!("items[{i}].name"), &item.name)?;
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                return Err(InvalidField::new(
                    format!("items[{i}].quantity"),
                    format!(
                        "must be between 1 and {MAX_QUANTITY}, got {}",
                        item.quantity
                    ),
                ));
            }
            if !(0..=MAX_UNIT_PRICE_MINOR).contains(&item.unit_price_minor) {
                return Err(InvalidField::new(
                    format!("items[{i}].unit_price_minor"),
                    format!(
                        "must be between 0 and {MAX_UNIT_PRICE_MINOR}, got {}",
                        item.unit_price_minor
                    ),
                ));
            }
            let tax_rate = TaxRate::parse(&format!("items[{i}].tax_rate_bp"), item.tax_rate_bp)?;
            total_minor = i64::from(item.quantity)
                .checked_mul(item.unit_price_minor)
                .and_then(|line| total_minor.checked_add(line))
                .ok_or_else(|| InvalidField::new("items", "the order total is too large"))?;
            items.push(NewOrderItem {
                product_id,
                name,
                quantity: item.quantity,
                unit_price_minor: item.unit_price_minor,
                tax_rate,
            });
        }
        Ok(Self {
            customer_email,
            customer_name,
            customer_address,
            currency,
            items,
            total_minor,
        })
    }
}

/// One stored line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    /// The inventory product.
    pub product_id: ProductId,
    /// Its name as sold.
    pub name: String,
    /// Units.
    pub quantity: i32,
    /// Price of one unit in minor units, tax included.
    pub unit_price_minor: i64,
    /// The tax rate included in the price.
    pub tax_rate: TaxRate,
}

impl OrderItem {
    /// quantity × unit price.
    pub fn line_total_minor(&self) -> i64 {
        i64::from(self.quantity) * self.unit_price_minor
    }
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// Where it is in its life.
    pub status: OrderStatus,
    /// Where the invoice goes.
    pub customer_email: String,
    /// Who it is for.
    pub customer_name: String,
    /// The customer's postal address as given; empty when not given.
    pub customer_address: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Its lines, in the client's order.
    pub items: Vec<OrderItem>,
    /// Sum of the line totals.
    pub total_minor: i64,
    /// The inventory reservation holding (or that held) its stock.
    pub reservation_id: Uuid,
    /// Still awaiting payment at this time, it is cancelled.
    pub payment_deadline: DateTime<Utc>,
    /// Why it was cancelled (empty otherwise).
    pub cancel_reason: String,
    /// The client's CreateOrder idempotency key, if any.
    pub request_id: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Its refund, once an operator marked it refunded.
    pub refund: Option<super::Refund>,
}

impl Order {
    /// True when the order has the same contents as `new` (a retried CreateOrder).
    pub fn matches(&self, new: &NewOrder) -> bool {
        self.customer_email == new.customer_email.as_str()
            && self.customer_name == new.customer_name.as_str()
            && self.customer_address == new.customer_address.as_ref().map_or("", |a| a.as_str())
            && self.currency == new.currency.as_str()
            && self.items.len() == new.items.len()
            && self.items.iter().zip(&new.items).all(|(a, b)| {
                a.product_id == b.product_id
                    && a.name == b.name.as_str()
                    && a.quantity == b.quantity
                    && a.unit_price_minor == b.unit_price_minor
                    && a.tax_rate == b.tax_rate
            })
    }
}

#[cfg(test)]
mod tests;
