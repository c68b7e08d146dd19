//! Handler tests of the operator console: the console, inventory and orders on random ports
//! over one real database (SQLite; PostgreSQL too when `TEST_DATABASE_URL` is set), real gRPC
//! between them, and an HTTP client that keeps cookies like a browser.

mod browser;
mod hardening;
mod helpers;
mod orders;
mod products;
mod sign_in;
