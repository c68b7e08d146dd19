//! The invoices, received as in production: over SMTP, by the workspace's SMTP sink
//! (`shop_testkit::SmtpSink`) on a random port inside this process. The sink runs on
//! a runtime of its own, on one thread, so that its CPU time can be told apart from the load
//! generator's; afterwards every order's invoice must have arrived exactly once.

use std::{
    collections::HashMap,
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use anyhow::Context;
use serde::Serialize;
use shop_testkit::SmtpSink;
use tokio::sync::oneshot;

use crate::procfs;

/// The SMTP sink on its own thread; stopped when dropped.
pub struct MailSink {
    sink: Arc<SmtpSink>,
    tid: i32,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MailSink {
    /// Starts the sink on 127.0.0.1, a free port, on a thread named `smtp-sink`.
    pub fn start() -> anyhow::Result<Self> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("smtp-sink".to_owned())
            .spawn(move || {
                let started = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(anyhow::Error::from)
                    .and_then(|runtime| {
                        let sink = runtime.block_on(SmtpSink::start())?;
                        Ok((runtime, Arc::new(sink)))
                    });
                match started {
                    Ok((runtime, sink)) => {
                        // SAFETY: gettid(2) has no preconditions.
                        let tid = unsafe { libc::gettid() };
                        ready_tx.send(Ok((sink, tid))).ok();
                        // Serves until stopped (or until the handle is gone).
                        runtime.block_on(stopped).ok();
                    }
                    Err(e) => {
                        ready_tx.send(Err(e)).ok();
                    }
                }
            })
            .context("cannot start the SMTP sink's thread")?;
        let (sink, tid) = ready_rx
            .recv()
            .context("the SMTP sink's thread ended at start")?
            .context("cannot start the SMTP sink")?;
        Ok(Self {
            sink,
            tid,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `smtp://127.0.0.1:PORT`, for `SHOP_SMTP_URL`.
    pub fn url(&self) -> String {
        self.sink.url()
    }

    /// CPU time (user + system) the sink's thread has used so far, in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        procfs::thread_cpu_seconds(self.tid)
    }

    /// Waits until `count` mails have arrived: when they had, or how many had arrived when
    /// `timeout` passed.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Result<Instant, usize> {
        match self.sink.wait_for(count, timeout).await {
            Ok(_) => Ok(Instant::now()),
            Err(timeout) => Err(timeout.received),
        }
    }

    /// Checks that every mail received is the invoice of one of `order_ids`, and that each
    /// of them arrived exactly once, by Message-ID (the worker gives an order's invoice the
    /// same Message-ID on every attempt, see `shop_invoice::message_id`).
    pub fn delivery(&self, order_ids: &[String]) -> anyhow::Result<Delivery> {
        let mut expected: HashMap<String, usize> = HashMap::with_capacity(order_ids.len());
        for id in order_ids {
            let id: uuid::Uuid = id.parse().with_context(|| format!("order id {id}"))?;
            let message_id = shop_invoice::message_id(id);
            let bare = message_id.trim_start_matches('<').trim_end_matches('>');
            expected.insert(bare.to_owned(), 0);
        }
        let mails = self.sink.messages();
        let mut delivery = Delivery {
            received: mails.len(),
            ..Delivery::default()
        };
        // Headers only: the PDF attachment need not be decoded to know whose invoice it is.
        let parser = mail_parser::MessageParser::new();
        for mail in &mails {
            let id = parser
                .parse_headers(&mail.data)
                .and_then(|m| m.message_id().map(str::to_owned));
            match id.and_then(|id| expected.get_mut(&id)) {
                Some(seen) => *seen += 1,
                None => delivery.unexpected += 1,
            }
        }
        for seen in expected.values() {
            match seen {
                0 => delivery.missing += 1,
                1 => delivery.exactly_once += 1,
                n => delivery.duplicates += n - 1,
            }
        }
        Ok(delivery)
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

/// What arrived at the sink, judged against the orders of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Delivery {
    /// Mails received.
    pub received: usize,
    /// Orders whose invoice arrived exactly once.
    pub exactly_once: usize,
    /// Orders whose invoice never arrived.
    pub missing: usize,
    /// Extra copies of invoices that had already arrived.
    pub duplicates: usize,
    /// Mails that are no order's invoice (no Message-ID, or an unknown one).
    pub unexpected: usize,
}

impl Delivery {
    /// Whether every order's invoice arrived exactly once and nothing else did.
    pub fn ok(&self) -> bool {
        self.missing == 0 && self.duplicates == 0 && self.unexpected == 0
    }
}

#[cfg(test)]
mod tests {
    use shop_invoice::{Mailer, compose, parse_mailbox, testing::sample_invoice};

    use super::*;

    async fn send_invoice(mailer: &Mailer, order_id: uuid::Uuid) {
        let invoice = shop_invoice::Invoice {
            order_id,
            ..sample_invoice()
        };
        let from = parse_mailbox(shop_invoice::DEFAULT_MAIL_FROM).unwrap();
        mailer
            .send(&compose(&invoice, &from).unwrap())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn invoices_sent_over_smtp_are_counted_once_per_order_by_message_id() {
        let sink = MailSink::start().unwrap();
        let mailer = Mailer::smtp(&sink.url()).unwrap();
        let orders: Vec<uuid::Uuid> = (0..4).map(|_| uuid::Uuid::new_v4()).collect();
        // Order 0 once, order 1 twice, order 2 never, order 3 once; one mail for no order.
        for id in [
            orders[0],
            orders[1],
            orders[1],
            orders[3],
            uuid::Uuid::new_v4(),
        ] {
            send_invoice(&mailer, id).await;
        }
        assert!(sink.wait_for(5, Duration::from_secs(10)).await.is_ok());
        let ids: Vec<String> = orders.iter().map(ToString::to_string).collect();

        let delivery = sink.delivery(&ids).unwrap();

        assert_eq!(
            (
                delivery.received,
                delivery.exactly_once,
                delivery.missing,
                delivery.duplicates,
                delivery.unexpected
            ),
            (5, 2, 1, 1, 1)
        );
        assert!(!delivery.ok());
    }

    #[tokio::test]
    async fn a_run_whose_invoices_all_arrived_once_is_ok() {
        let sink = MailSink::start().unwrap();
        let mailer = Mailer::smtp(&sink.url()).unwrap();
        let orders: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::new_v4()).collect();
        for id in &orders {
            send_invoice(&mailer, *id).await;
        }
        assert!(sink.wait_for(3, Duration::from_secs(10)).await.is_ok());
        let ids: Vec<String> = orders.iter().map(ToString::to_string).collect();

        let delivery = sink.delivery(&ids).unwrap();

        assert!(delivery.ok(), "{delivery:?}");
        assert_eq!(delivery.exactly_once, 3);
        // Waiting for more than arrived reports how many did.
        assert_eq!(sink.wait_for(4, Duration::from_millis(50)).await, Err(3));
    }
}
