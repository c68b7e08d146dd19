//! `POST /api/webhooks/payment/`: the payment provider's callback, turned into
//! `OrderService.RecordPayment`.

use std::time::{Instant, SystemTime};

use axum::{
    Extension, Json,
    extract::{FromRequest, Request, State},
};
use serde::Serialize;
use shop_proto::orders::v1::PaymentOutcome;
use utoipa::ToSchema;

use crate::{
    error::{ApiError, ErrorBody, WebhookOutcome},
    routes::AppState,
    signature::SIGNATURE_HEADER,
    webhook_body::{PaymentNotification, RawWebhookBody},
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

/// A 200 answer, with what it came to for the metrics.
type Received = (Extension<WebhookOutcome>, Json<WebhookReceived>);

impl WebhookReceived {
    fn answer(outcome: &'static str) -> Received {
        (
            Extension(WebhookOutcome(outcome)),
            Json(Self {
                message: "Webhook received".to_owned(),
            }),
        )
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
        (status = 400, description = "Missing data or insufficient stock", body = ErrorBody),
        (status = 403, description = "Unauthorized: invalid X-Webhook-Key, or (when signing \
            is enabled) X-Webhook-Signature missing, malformed, outside the 5-minute tolerance \
            or not matching", body = ErrorBody),
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
) -> Result<Received, ApiError> {
    // The body is extracted here rather than as an argument so that the logged latency
    // includes reading, verifying and parsing it.
    let started = Instant::now();
    let notification = match read_notification(&state, request).await {
        Ok(notification) => notification,
        Err(ApiError::BadSignature(reason)) => {
            // Worth a look (a provider misconfigured, a clock off, or a forgery or replay),
            // hence warn. Neither the secrets nor the signature are logged.
            tracing::warn!(
                http_status = 403,
                error = ?reason,
                latency = ?started.elapsed(),
                "webhook refused: {reason}"
            );
            return Err(reason.into());
        }
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
            let label = match outcome {
                PaymentOutcome::Confirmed => "confirmed",
                PaymentOutcome::Duplicate => "duplicate",
                _ => "ignored",
            };
            let outcome = outcome.as_str_name();
            tracing::info!(%order_id, status = report, outcome, ?latency, "webhook recorded");
            Ok(WebhookReceived::answer(label))
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
            Ok(WebhookReceived::answer("refund_required"))
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

/// Logs a definite refusal (routine, so at info) and returns it.
fn refused(
    order_id: uuid::Uuid,
    report: &str,
    latency: std::time::Duration,
    error: ApiError,
    grpc: Option<&tonic::Status>,
) -> Result<Received, ApiError> {
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
