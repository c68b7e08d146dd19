//! `POST /api/webhooks/payment/`: the payment provider's callback, turned into
//! `OrderService.RecordPayment`.

use std::time::Instant;

use axum::{
    Json,
    extract::{FromRequest, Request, State},
};
use serde::Serialize;
use shop_proto::orders::v1::PaymentOutcome;
use utoipa::ToSchema;

use crate::{
    error::{ApiError, ErrorBody},
    routes::AppState,
    webhook_body::PaymentNotification,
};

/// The endpoint without the contract's trailing slash (the documented path is in
/// `#[utoipa::path]` below).
pub const PATH_WITHOUT_SLASH: &str = "/api/webhooks/payment";

/// The 200 body, exactly as the original sent it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReceived {
    /// Always `Webhook received`.
    #[schema(example = "Webhook received")]
    pub message: String,
}

impl WebhookReceived {
    fn new() -> Json<Self> {
        Json(Self {
            message: "Webhook received".to_owned(),
        })
    }
}

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
        (status = 400, description = "Missing data or insufficient stock", body = ErrorBody),
        (status = 403, description = "Unauthorized (invalid X-Webhook-Key)", body = ErrorBody),
        (status = 404, description = "Order not found", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not one of the three accepted", body = ErrorBody),
        (status = 503, description = "The order service is unavailable; nothing was lost, retry later",
            body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
    )
)]
pub async fn payment_webhook(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<WebhookReceived>, ApiError> {
    // The body is extracted here rather than as an argument so that the logged latency
    // includes reading and parsing it.
    let started = Instant::now();
    let notification = match PaymentNotification::from_request(request, &()).await {
        Ok(notification) => notification,
        Err(error) => {
            tracing::info!(
                http_status = error.status().as_u16(),
                error = ?error,
                latency = ?started.elapsed(),
                "webhook rejected"
            );
            return Err(error);
        }
    };
    let order_id = notification.order_id;
    let report = notification.status.as_str();
    let outcome = state
        .orders
        .record_payment(order_id, notification.status)
        .await;
    let latency = started.elapsed();
    match outcome {
        Ok(
            outcome @ (PaymentOutcome::Confirmed
            | PaymentOutcome::Duplicate
            | PaymentOutcome::Ignored),
        ) => {
            let outcome = outcome.as_str_name();
            tracing::info!(%order_id, status = report, outcome, ?latency, "webhook recorded");
            Ok(WebhookReceived::new())
        }
        Ok(PaymentOutcome::RefundRequired) => {
            // Recorded and flagged for an operator; a non-200 would only make the provider
            // retry forever.
            tracing::warn!(
                %order_id,
                status = report,
                outcome = "REFUND_REQUIRED",
                ?latency,
                "paid order could not be honoured (its stock was gone): refund required"
            );
            Ok(WebhookReceived::new())
        }
        // These two appear only in payment events, but answer them faithfully if they come.
        Ok(PaymentOutcome::InsufficientStock) => {
            refused(order_id, report, latency, ApiError::InsufficientStock, None)
        }
        Ok(PaymentOutcome::OrderNotFound) => {
            refused(order_id, report, latency, ApiError::OrderNotFound, None)
        }
        Ok(PaymentOutcome::Unspecified) => {
            tracing::error!(
                %order_id,
                status = report,
                ?latency,
                "orders service answered without an outcome; answering 503 so the provider retries"
            );
            Err(ApiError::Unavailable)
        }
        Err(status) => match ApiError::from_orders_status(&status) {
            ApiError::Unavailable => {
                // Not reaching the orders service is worth a look; definite answers are not.
                tracing::warn!(
                    %order_id,
                    status = report,
                    grpc_code = ?status.code(),
                    grpc_message = status.message(),
                    ?latency,
                    "webhook not recorded: orders service unavailable, answering 503"
                );
                Err(ApiError::Unavailable)
            }
            error => refused(order_id, report, latency, error, Some(&status)),
        },
    }
}

/// Logs a definite refusal (routine, so at info) and returns it.
fn refused(
    order_id: uuid::Uuid,
    report: &str,
    latency: std::time::Duration,
    error: ApiError,
    grpc: Option<&tonic::Status>,
) -> Result<Json<WebhookReceived>, ApiError> {
    tracing::info!(
        %order_id,
        status = report,
        error = %error,
        grpc_code = grpc.map(|s| tracing::field::debug(s.code())),
        grpc_message = grpc.map(tonic::Status::message),
        ?latency,
        "webhook refused"
    );
    Err(error)
}
