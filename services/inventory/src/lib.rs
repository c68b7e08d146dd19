//! The inventory service: products, their stock, and reservations of that stock, served
//! over gRPC as `shop.inventory.v1.InventoryService`.

pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod reconciliation;
pub mod startup;
pub mod store;
pub mod sweeper;
