//! Black-box tests of the orders service with the inventory service: real gRPC servers on
//! random ports over a real database (SQLite; PostgreSQL too when `TEST_DATABASE_URL` is set).

mod helpers;
mod invoice_numbers;
mod invoice_retries;
mod invoices;
mod listing;
mod operators;
mod orders;
mod payments;
mod refunds;
mod resilience;
mod round_trips;
mod security;
