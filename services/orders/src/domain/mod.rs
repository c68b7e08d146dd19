//! The orders service's rules, free of gRPC and database types: what a valid order is, and
//! the one state machine every status change goes through.

mod customer;
mod ids;
mod invoice;
mod money;
mod new_order;
mod order;
mod payment;
#[cfg(test)]
mod proptests;
mod refund;

pub use customer::{CustomerAddress, CustomerName, Email, MAX_ADDRESS_CHARS};
pub use ids::{OrderId, ProductId};
pub use invoice::{AfterFailure, GaveUp, InvoiceJob, InvoiceJobState, InvoiceNumber, RetryPolicy};
pub use money::{Currency, MAX_UNIT_PRICE_MINOR, TaxRate};
pub use new_order::{
    ItemForm, MAX_ITEMS, MAX_QUANTITY, NewOrder, NewOrderItem, Order, OrderForm, OrderItem,
};
pub use order::{OrderEvent, OrderStatus, Step, sources, transition};
pub use payment::{PaymentEvent, PaymentOutcome, PaymentStatus, RefundCause};
pub use refund::{OrderFilter, Refund, RefundMark};
pub use shop_common::validation::InvalidField;
