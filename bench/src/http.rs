//! Plain HTTP/1.1 over keep-alive connections (hyper), as a payment provider would send
//! webhooks: each simulated sender owns one connection and sends one request at a time.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::{
    Request,
    client::conn::http1::{self, SendRequest},
    header,
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The webhook path of the payment provider's contract.
const WEBHOOK_PATH: &str = "/api/webhooks/payment/";

/// What firing the webhooks produced.
#[derive(Debug, Default)]
pub struct Fired {
    /// Wall time from the first request to the last answer, in seconds.
    pub seconds: f64,
    /// Latency of every answered request, in microseconds.
    pub latencies_us: Vec<u64>,
    /// When each answered request was sent, in microseconds after the first (same order as
    /// `latencies_us`).
    pub sent_at_us: Vec<u64>,
    /// Count of answers per HTTP status.
    pub statuses: BTreeMap<u16, usize>,
    /// Requests that got no answer (connection failures); each is retried on a new
    /// connection once, then given up.
    pub transport_errors: usize,
}

impl Fired {
    /// Non-200 answers plus requests that got no answer.
    pub fn errors(&self) -> usize {
        let non_200: usize = self
            .statuses
            .iter()
            .filter(|(status, _)| **status != 200)
            .map(|(_, n)| n)
            .sum();
        non_200 + self.transport_errors
    }
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// GET `path` on a new connection; the status code.
pub async fn get_status(addr: SocketAddr, path: &str) -> anyhow::Result<u16> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::get(path)
        .header(header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    response.into_body().collect().await?;
    Ok(status)
}

/// POSTs `{"order_id": …, "status": "paid"}` for every order, `concurrency` at a time, each
/// sender on its own keep-alive connection. The senders are spread evenly over `facades`
/// (sender `i` talks to facade `i % len`), as a provider's connections would be spread by a
/// load balancer.
pub async fn fire_paid(
    facades: &[SocketAddr],
    key: &str,
    order_ids: Arc<Vec<String>>,
    concurrency: usize,
) -> anyhow::Result<Fired> {
    anyhow::ensure!(!facades.is_empty(), "no facade to send webhooks to");
    let next = Arc::new(AtomicUsize::new(0));
    // Connect every sender before the clock starts: connection set-up is not webhook work.
    let mut senders = Vec::with_capacity(concurrency);
    for i in 0..concurrency {
        let addr = facades[i % facades.len()];
        senders.push((addr, connect(addr).await?));
    }
    let started = Instant::now();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|(addr, sender)| {
            let (next, ids, key) = (next.clone(), order_ids.clone(), key.to_owned());
            tokio::spawn(async move { sender_loop(addr, sender, &key, &ids, &next, started).await })
        })
        .collect();
    let mut fired = Fired::default();
    for task in tasks {
        let part = task.await?;
        fired.latencies_us.extend(part.latencies_us);
        fired.sent_at_us.extend(part.sent_at_us);
        fired.transport_errors += part.transport_errors;
        for (status, n) in part.statuses {
            *fired.statuses.entry(status).or_default() += n;
        }
    }
    fired.seconds = started.elapsed().as_secs_f64();
    Ok(fired)
}

async fn sender_loop(
    addr: SocketAddr,
    mut sender: SendRequest<Full<Bytes>>,
    key: &str,
    ids: &[String],
    next: &AtomicUsize,
    started: Instant,
) -> Fired {
    let mut fired = Fired::default();
    let host = addr.to_string();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(order_id) = ids.get(i) else {
            return fired;
        };
        let body = Bytes::from(format!(r#"{{"order_id": "{order_id}", "status": "paid"}}"#));
        let mut answered = false;
        for _attempt in 0..2 {
            let request = Request::post(WEBHOOK_PATH)
                .header(header::HOST, &host)
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-webhook-key", key)
                .body(Full::new(body.clone()))
                .expect("a well-formed request");
            let sent = Instant::now();
            let result = async {
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let status = response.status().as_u16();
                response.into_body().collect().await?;
                anyhow::Ok(status)
            }
            .await;
            match result {
                Ok(status) => {
                    fired.latencies_us.push(sent.elapsed().as_micros() as u64);
                    fired.sent_at_us.push((sent - started).as_micros() as u64);
                    *fired.statuses.entry(status).or_default() += 1;
                    answered = true;
                    break;
                }
                Err(_) => {
                    fired.transport_errors += 1;
                    match connect(addr).await {
                        Ok(fresh) => sender = fresh,
                        Err(_) => break,
                    }
                }
            }
        }
        if !answered && sender.is_closed() {
            return fired;
        }
    }
}
