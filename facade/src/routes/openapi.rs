//! The OpenAPI 3 document, generated from the handler's annotations.

use utoipa::OpenApi;

use crate::{
    error::ErrorBody,
    notification::{PaymentNotification, PaymentReport},
    outcome::WebhookReceived,
};

/// The document's frame; `routes::router` adds the webhook path to it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "shop facade",
        description = "The payment provider's webhook, compatible with the original \
                       Django REST Framework API (`POST /api/webhooks/payment/`)."
    ),
    components(schemas(PaymentNotification, PaymentReport, WebhookReceived, ErrorBody)),
    tags((name = "webhooks", description = "Callbacks from the payment provider"))
)]
pub struct ApiDoc;
