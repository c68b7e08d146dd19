//! What a webhook came to: one [`WebhookResult`] built from the body parser's refusal or the
//! orders service's answer, one `IntoResponse`, and the [`WebhookOutcome`] it leaves on the
//! response for [`crate::observe`] to count and log once.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use shop_common::names::StoredName;
use shop_proto::orders::v1::PaymentOutcome;
use tracing::Level;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{error::ApiError, notification::PaymentNotification};

/// The 200 body, exactly as the original sent it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReceived {
    /// Always `Webhook received`.
    #[schema(example = "Webhook received")]
    pub message: String,
}

/// What the orders service did with a payment the provider is told was received (200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Paid: the order is confirmed and its invoice queued.
    Confirmed,
    /// Already recorded: nothing changed.
    Duplicate,
    /// A failed payment, or one that changes nothing.
    Ignored,
    /// Paid, but the order could not be honoured: recorded and flagged for a refund (a non-200
    /// would only make the provider retry forever).
    RefundRequired,
}

/// One webhook's answer.
#[derive(Debug)]
pub struct WebhookResult {
    notification: Option<PaymentNotification>,
    answer: Result<Recorded, ApiError>,
    /// The orders service's error, or why its answer could not be used: for the log only.
    cause: Option<String>,
}

impl WebhookResult {
    /// Refused before the orders service was asked (body, signature).
    pub fn refused(error: ApiError) -> Self {
        Self {
            notification: None,
            answer: Err(error),
            cause: None,
        }
    }

    /// What `RecordPayment` answered for `notification`.
    pub fn recorded(
        notification: PaymentNotification,
        answer: Result<PaymentOutcome, tonic::Status>,
    ) -> Self {
        let (answer, cause) = match answer {
            Ok(PaymentOutcome::Confirmed) => (Ok(Recorded::Confirmed), None),
            Ok(PaymentOutcome::Duplicate) => (Ok(Recorded::Duplicate), None),
            Ok(PaymentOutcome::Ignored) => (Ok(Recorded::Ignored), None),
            Ok(PaymentOutcome::RefundRequired) => (Ok(Recorded::RefundRequired), None),
            // These two appear only in payment events, but answer them faithfully if they come.
            Ok(PaymentOutcome::InsufficientStock) => (Err(ApiError::InsufficientStock), None),
            Ok(PaymentOutcome::OrderNotFound) => (Err(ApiError::OrderNotFound), None),
            Ok(PaymentOutcome::Unspecified) => (
                Err(ApiError::Unavailable),
                Some("the orders service answered without an outcome".to_owned()),
            ),
            Err(status) => (
                Err(ApiError::from_orders_status(&status)),
                Some(format!("{:?}: {}", status.code(), status.message())),
            ),
        };
        Self {
            notification: Some(notification),
            answer,
            cause,
        }
    }

    fn outcome(&self) -> WebhookOutcome {
        let mut outcome = match &self.answer {
            Ok(recorded) => WebhookOutcome::recorded(*recorded),
            Err(error) => WebhookOutcome::of_error(error),
        };
        if let Some(notification) = self.notification {
            outcome.order_id = Some(notification.order_id);
            outcome.report = Some(notification.status.as_str());
        }
        if let Some(cause) = &self.cause {
            outcome.cause = Some(cause.clone());
        }
        outcome
    }
}

impl IntoResponse for WebhookResult {
    fn into_response(self) -> Response {
        let outcome = self.outcome();
        let mut response = match self.answer {
            Ok(_) => Json(WebhookReceived {
                message: "Webhook received".to_owned(),
            })
            .into_response(),
            Err(error) => error.into_response(),
        };
        response.extensions_mut().insert(outcome);
        response
    }
}

/// What a webhook came to, attached to its response: the metrics label
/// (`shop_webhooks_total{outcome,status}`) and what its one log line says.
#[derive(Debug, Clone)]
pub struct WebhookOutcome {
    /// The metrics label (`confirmed`, `forbidden`, …).
    pub label: &'static str,
    /// How loud the log line is.
    pub level: Level,
    /// The log message.
    pub message: String,
    /// The order, once the body was parsed.
    pub order_id: Option<Uuid>,
    /// The reported status (`paid`, `failed`), once the body was parsed.
    pub report: Option<&'static str>,
    /// Details for the log only (never a secret): the error's structure, the gRPC status.
    pub cause: Option<String>,
}

impl WebhookOutcome {
    fn recorded(recorded: Recorded) -> Self {
        let (label, level, message) = match recorded {
            Recorded::Confirmed => ("confirmed", Level::INFO, "webhook recorded"),
            Recorded::Duplicate => ("duplicate", Level::INFO, "webhook recorded"),
            Recorded::Ignored => ("ignored", Level::INFO, "webhook recorded"),
            Recorded::RefundRequired => (
                "refund_required",
                Level::WARN,
                "webhook recorded: paid order could not be honoured (its stock was gone), \
                 refund required",
            ),
        };
        Self {
            label,
            level,
            message: message.to_owned(),
            order_id: None,
            report: None,
            cause: None,
        }
    }

    /// The outcome of a refusal: routine ones at info; at warn a bad signature or key (a
    /// provider misconfigured, a clock off, or a forgery or replay) and not reaching the
    /// orders service.
    pub fn of_error(error: &ApiError) -> Self {
        let level = match error {
            ApiError::BadSignature(_) | ApiError::Forbidden | ApiError::Unavailable => Level::WARN,
            _ => Level::INFO,
        };
        let message = match error {
            ApiError::Unavailable => {
                "webhook not recorded: orders service unavailable, answering 503".to_owned()
            }
            error => format!("webhook refused: {error}"),
        };
        Self {
            label: error.outcome(),
            level,
            message,
            order_id: None,
            report: None,
            cause: Some(format!("{error:?}")),
        }
    }
}
