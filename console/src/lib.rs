//! The operator console: what staff who answer customers need, in the browser, over the
//! same gRPC services everything else uses (never the database).
//!
//! Server-rendered HTML (maud) that works without JavaScript; the one stylesheet is compiled
//! into the binary. Operators sign in with a name and password from `SHOP_CONSOLE_USERS`
//! (argon2 hashes; see [`users`]); a session is a signed, HttpOnly, `SameSite=Strict` cookie
//! carrying the operator's name, its expiry and the session's CSRF token, which every form
//! sends back (see [`session`]).

pub mod config;
pub mod error;
pub mod grpc;
pub mod routes;
pub mod session;
pub mod startup;
pub mod users;
mod views;
