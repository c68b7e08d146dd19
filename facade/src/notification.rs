//! The provider's message, in its own words: which order, and whether it was paid. The body
//! parser ([`crate::webhook_body`]) produces it; the handler hands it to the orders service.

use shop_proto::orders::v1::PaymentStatus;
use utoipa::ToSchema;
use uuid::Uuid;

/// What the payment provider reports about an order's payment. Its wire names (`paid`,
/// `failed`; case-sensitive on purpose: the provider sends exactly these) come from strum,
/// as every status name does ([`shop_common::names`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema, strum::IntoStaticStr, strum::EnumString)]
#[schema(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum PaymentReport {
    /// The customer paid.
    Paid,
    /// The payment failed.
    Failed,
}

impl From<PaymentReport> for PaymentStatus {
    fn from(report: PaymentReport) -> Self {
        match report {
            PaymentReport::Paid => Self::Paid,
            PaymentReport::Failed => Self::Failed,
        }
    }
}

/// A well-formed payment webhook. Sent as JSON, `application/x-www-form-urlencoded` or
/// `multipart/form-data`; other fields are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(as = PaymentWebhookRequest)]
pub struct PaymentNotification {
    /// The order the payment is for.
    pub order_id: Uuid,
    /// `paid` or `failed` (case-sensitive).
    pub status: PaymentReport,
}
