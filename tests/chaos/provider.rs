//! The payment provider as the harness plays it: it sends `paid` and `failed` webhooks in any
//! of the three encodings, and retries on every non-2xx answer (and on connection errors)
//! with backoff, as real providers do.

use std::{
    collections::BTreeMap,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// One webhook, from the first attempt to the last answer.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub order_id: String,
    pub status: &'static str,
    /// HTTP status of every attempt; 0 for a transport error.
    pub answers: Vec<u16>,
}

impl Delivery {
    /// The last answer.
    pub fn last(&self) -> u16 {
        self.answers.last().copied().unwrap_or(0)
    }
}

/// Sends webhooks and keeps count of every answer.
pub struct Provider {
    http: reqwest::Client,
    url: String,
    key: String,
    deadline: Duration,
    answers: Mutex<BTreeMap<u16, usize>>,
    /// 503 answers that did not say when to retry.
    unavailable_without_retry_after: AtomicUsize,
}

impl Provider {
    /// A provider posting to the facade at `http_addr` with `key`; it gives up on one
    /// webhook after `deadline`.
    pub fn new(http_addr: &str, key: &str, deadline: Duration) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            url: format!("http://{http_addr}/api/webhooks/payment/"),
            key: key.to_owned(),
            deadline,
            answers: Mutex::default(),
            unavailable_without_retry_after: AtomicUsize::new(0),
        }
    }

    /// Delivers one webhook, retrying until a 2xx, or a 404 for an order the shop does not
    /// know (which stays 404 however often it is sent, so the provider stops after a few).
    pub async fn deliver(&self, order_id: &str, status: &'static str) -> Delivery {
        let started = Instant::now();
        let mut delivery = Delivery {
            order_id: order_id.to_owned(),
            status,
            answers: Vec::new(),
        };
        let mut backoff = Duration::from_millis(50);
        loop {
            let code = self.attempt(order_id, status).await;
            *self.answers.lock().unwrap().entry(code).or_default() += 1;
            delivery.answers.push(code);
            let not_found_settled =
                code == 404 && delivery.answers.iter().filter(|c| **c == 404).count() >= 3;
            if (200..300).contains(&code) || not_found_settled || started.elapsed() > self.deadline
            {
                return delivery;
            }
            tokio::time::sleep(backoff.mul_f64(0.5 + fastrand::f64())).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }

    async fn attempt(&self, order_id: &str, status: &str) -> u16 {
        let request = self.http.post(&self.url).header("X-Webhook-Key", &self.key);
        let request = match fastrand::u8(0..3) {
            0 => request
                .header("Content-Type", "application/json")
                .body(format!(
                    r#"{{"order_id": "{order_id}", "status": "{status}"}}"#
                )),
            1 => request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(format!("order_id={order_id}&status={status}")),
            _ => request.multipart(
                reqwest::multipart::Form::new()
                    .text("order_id", order_id.to_owned())
                    .text("status", status.to_owned()),
            ),
        };
        match request.send().await {
            Ok(response) => {
                let code = response.status().as_u16();
                if code == 503 && !response.headers().contains_key("retry-after") {
                    self.unavailable_without_retry_after
                        .fetch_add(1, Ordering::Relaxed);
                }
                code
            }
            Err(_) => 0,
        }
    }

    /// Pays order `n` of `order_ids` at `n × every` from now, each with `copies` concurrent
    /// senders (a provider that double-sends); every delivery, once all have ended.
    pub async fn pay_paced(
        self: std::sync::Arc<Self>,
        order_ids: Vec<String>,
        every: Duration,
        copies: usize,
    ) -> Vec<Delivery> {
        let started = Instant::now();
        let payments = order_ids.into_iter().enumerate().map(|(n, id)| {
            let provider = self.clone();
            let at = started + every * u32::try_from(n).unwrap_or(u32::MAX);
            async move {
                tokio::time::sleep_until(at.into()).await;
                futures::future::join_all((0..copies).map(|_| provider.deliver(&id, "paid"))).await
            }
        });
        futures::future::join_all(payments)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    /// How many 503 answers came without `Retry-After`.
    pub fn unavailable_without_retry_after(&self) -> usize {
        self.unavailable_without_retry_after.load(Ordering::Relaxed)
    }

    /// How many attempts got each HTTP status (0: transport error).
    pub fn answers(&self) -> BTreeMap<u16, usize> {
        self.answers.lock().unwrap().clone()
    }
}
