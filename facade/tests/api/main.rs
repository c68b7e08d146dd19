//! Black-box tests of the facade: real HTTP over TCP to the facade, which calls a real orders
//! gRPC service, which calls a real inventory service, all over one fresh database (SQLite;
//! PostgreSQL too when `TEST_DATABASE_URL` is set); and, in `in_process`, the router alone
//! against an orders service that is not there.

mod auth;
mod credentials;
mod encodings;
mod helpers;
mod hostile;
mod idempotency;
mod in_process;
mod outages;
mod service;
mod signing;
mod webhook;
