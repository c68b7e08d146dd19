//! Black-box tests of the inventory gRPC service: a real server on a random port, a real
//! database (SQLite; PostgreSQL too when `TEST_DATABASE_URL` is set), a tonic client.

mod helpers;
mod operators;
mod products;
mod reconciliation;
mod reservations;
mod server;
