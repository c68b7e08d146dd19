//! `POST /api/webhooks/payment/`: the payment provider's callback, turned into
//! `OrderService.RecordPayment`.

use std::time::SystemTime;

use axum::extract::{FromRequest, Request, State};

use crate::{
    error::{ApiError, ErrorBody},
    notification::PaymentNotification,
    outcome::{WebhookReceived, WebhookResult},
    routes::AppState,
    signature::SIGNATURE_HEADER,
    webhook_body::RawWebhookBody,
};

/// The endpoint without the contract's trailing slash (the documented path is in
/// `#[utoipa::path]` below).
pub const PATH_WITHOUT_SLASH: &str = "/api/webhooks/payment";

/// Records what the payment provider reports about an order's payment.
///
/// A `paid` webhook for an order awaiting payment commits its stock, confirms it and queues
/// its invoice, exactly once however often it is delivered. A `failed` one changes nothing.
/// 503 means nothing definite happened yet: retry later (every retry is safe).
#[utoipa::path(
    post,
    path = "/api/webhooks/payment/",
    operation_id = "paymentWebhook",
    tag = "webhooks",
    params(
        ("X-Webhook-Key" = String, Header,
         description = "Secret key required to authenticate the webhook request"),
        ("X-Webhook-Signature" = Option<String>, Header,
         description = "Required when signing is enabled (SHOP_WEBHOOK_SIGNING_SECRETS), \
            ignored otherwise: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, the HMAC of the \
            timestamp, a '.' and the raw body, keyed with a signing secret. The timestamp \
            must be within 5 minutes of the server's clock; several v1 entries are allowed \
            (any one matching suffices), other schemes are ignored.",
         example = "t=1700000000,v1=964159d9b35d57e0d2c89ce1d306ace1601294d6c6e5aa37abb17fbcd3bf20d3"),
    ),
    request_body(
        description = "What the provider reports; unknown fields are ignored, repeated ones refused.",
        content(
            (PaymentNotification = "application/json"),
            (PaymentNotification = "application/x-www-form-urlencoded"),
            (PaymentNotification = "multipart/form-data"),
        )
    ),
    responses(
        (status = 200, description = "Webhook received; if status='paid' and the order was \
            AWAITING_PAYMENT, stock is decremented, the order set to CONFIRMED and its invoice \
            queued.", body = WebhookReceived),
        (status = 400, description = "Missing data (an empty body included) or insufficient \
            stock", body = ErrorBody),
        (status = 403, description = "Unauthorized: invalid X-Webhook-Key, or (when signing \
            is enabled) X-Webhook-Signature missing, malformed, outside the 5-minute tolerance \
            or not matching", body = ErrorBody),
        (status = 404, description = "Order not found", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 405, description = "Not POST; the Allow header lists the methods", body = ErrorBody),
        (status = 415, description = "Content-Type is not one of the three accepted, its \
            charset is not UTF-8, or a Content-Encoding is given", body = ErrorBody),
        (status = 503, description = "The order service is unavailable; nothing was lost, retry later",
            body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
    )
)]
pub async fn payment_webhook(State(state): State<AppState>, request: Request) -> WebhookResult {
    let notification = match read_notification(&state, request).await {
        Ok(notification) => notification,
        Err(error) => return WebhookResult::refused(error),
    };
    let answer = state
        .orders
        .record_payment(notification.order_id, notification.status)
        .await;
    WebhookResult::recorded(notification, answer)
}

/// Reads the raw body once (415, 413), checks its signature over exactly those bytes when
/// signing is enabled (403), and only then parses it (400).
async fn read_notification(
    state: &AppState,
    request: Request,
) -> Result<PaymentNotification, ApiError> {
    let signature = request.headers().get(SIGNATURE_HEADER).cloned();
    let body = RawWebhookBody::from_request(request, &()).await?;
    if let Some(signing) = &state.signing {
        signing.verify(signature.as_ref(), body.bytes(), SystemTime::now())?;
    }
    body.parse().await
}
