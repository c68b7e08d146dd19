//! The payment provider's webhook over HTTP, kept compatible with the Django REST Framework
//! system this project replaces (`POST /api/webhooks/payment/`, `X-Webhook-Key`, JSON, form
//! or multipart bodies, `{"message": "Webhook received"}`), turned into calls of
//! `shop.orders.v1.OrderService.RecordPayment`.
//!
//! - [`config`]: settings (`SHOP_HTTP_ADDR`, `SHOP_ORDERS_URL`, `SHOP_WEBHOOK_KEY`, …);
//! - [`startup`]: [`startup::Facade`], bind then serve;
//! - [`routes`]: the router (webhook, OpenAPI document, health probes);
//! - [`server`]: the HTTP server: timeouts, the connection cap, accept errors;
//! - [`notification`], [`webhook_body`], [`auth`], [`signature`], [`orders_client`],
//!   [`outcome`], [`error`], [`observe`]: the pieces of the webhook, in the order a request
//!   meets them (`signature`: the optional `X-Webhook-Signature`, when
//!   `SHOP_WEBHOOK_SIGNING_SECRETS` is set).

pub mod auth;
pub mod config;
pub mod error;
pub mod notification;
pub mod observe;
pub mod orders_client;
pub mod outcome;
pub mod routes;
pub mod signature;
pub mod startup;
pub mod webhook_body;
