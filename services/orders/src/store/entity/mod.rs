//! sea-orm entities of the orders tables (see `migration/`). Private to the store.

pub mod invoice_counter;
pub mod invoice_job;
pub mod invoice_number;
pub mod invoice_pdf;
pub mod order;
pub mod order_item;
pub mod payment_event;
