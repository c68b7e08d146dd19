//! The orders service: the order state machine, exactly-once payment recording across the
//! orders and inventory services, and invoice dispatch; served over gRPC as
//! `shop.orders.v1.OrderService`.

pub mod app;
pub mod config;
pub mod domain;
pub mod error;
pub mod faults;
pub mod grpc;
pub mod inventory;
pub mod startup;
pub mod store;
pub mod sweeper;
pub mod worker;
