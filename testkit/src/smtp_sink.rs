//! A real SMTP server on 127.0.0.1 that keeps what it receives, for tests.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Mutex as AsyncMutex, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::ParsedMail;
use super::session::session;

/// One mail as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The message as transmitted after DATA, dot-unstuffed, without the final `.` line.
    pub data: Vec<u8>,
}

impl ReceivedMail {
    /// The message parsed into subject, parts and attachments; `None` if it is not a mail.
    pub fn parse(&self) -> Option<ParsedMail> {
        ParsedMail::parse(&self.data)
    }
}

/// The sink waited in vain for mails.
#[derive(Debug, thiserror::Error)]
#[error("expected {expected} mail(s) within {timeout:?}, got {received}")]
pub struct WaitTimeout {
    /// How many mails were awaited.
    pub expected: usize,
    /// How many had arrived.
    pub received: usize,
    /// How long it waited.
    pub timeout: Duration,
}

/// A small SMTP server (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT)
/// on 127.0.0.1 and a random port. It speaks the protocol over TCP, so the code under test
/// uses its real SMTP client; it accepts every mail unless told to refuse.
///
/// No TLS and no AUTH: point the mailer at [`SmtpSink::url`] (`smtp://127.0.0.1:PORT`).
/// Stopping the sink closes its port and every open connection, like a crashed server;
/// [`SmtpSink::restart`] listens on the same port again.
pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<State>,
    server: AsyncMutex<Option<Server>>,
}

/// What sessions share with the handle.
pub(super) struct State {
    mails: Mutex<Vec<ReceivedMail>>,
    count: watch::Sender<usize>,
    refuse: AtomicUsize,
    reject: AtomicUsize,
}

/// What the next `MAIL FROM` gets.
pub(super) enum Verdict {
    Accept,
    /// 451: try again later.
    Refuse,
    /// 550: refused for good.
    Reject,
}

impl State {
    pub(super) fn verdict(&self) -> Verdict {
        if take_one(&self.refuse) {
            Verdict::Refuse
        } else if take_one(&self.reject) {
            Verdict::Reject
        } else {
            Verdict::Accept
        }
    }

    /// Stores a mail; returns its number (1-based) for the 250 reply.
    pub(super) fn store(&self, mail: ReceivedMail) -> usize {
        let count = {
            let mut mails = lock(&self.mails);
            mails.push(mail);
            mails.len()
        };
        self.count.send_replace(count);
        count
    }
}

struct Server {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts listening on 127.0.0.1 on a free port.
    pub async fn start() -> io::Result<Self> {
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            mails: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
            refuse: AtomicUsize::new(0),
            reject: AtomicUsize::new(0),
        });
        let server = serve(listener, Arc::clone(&state));
        Ok(Self {
            addr,
            state,
            server: AsyncMutex::new(Some(server)),
        })
    }

    /// The address it listens on (also while stopped: the port it will restart on).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:PORT`, for `SHOP_SMTP_URL` or `Mailer::smtp`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every mail received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.state.mails).clone()
    }

    /// Answers the next `n` transactions with `451 4.3.0` at `MAIL FROM` (a transient
    /// failure) instead of accepting them.
    pub fn refuse_next(&self, n: usize) {
        self.state.refuse.store(n, Ordering::SeqCst);
    }

    /// Answers the next `n` transactions with `550 5.7.1` at `MAIL FROM` (a permanent
    /// failure). Refusals set with [`SmtpSink::refuse_next`] come first.
    pub fn reject_next(&self, n: usize) {
        self.state.reject.store(n, Ordering::SeqCst);
    }

    /// Waits until at least `count` mails have arrived, then returns all of them.
    pub async fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedMail>, WaitTimeout> {
        let mut arrived = self.state.count.subscribe();
        let reached = tokio::time::timeout(timeout, arrived.wait_for(|n| *n >= count)).await;
        match reached {
            Ok(Ok(_)) => Ok(self.messages()),
            // The sender lives in `self.state`, so `Err` from `wait_for` cannot happen here.
            _ => Err(WaitTimeout {
                expected: count,
                received: self.messages().len(),
                timeout,
            }),
        }
    }

    /// Closes the port and every open connection, as if the server went away. Mails already
    /// received are kept. Stopping a stopped sink does nothing.
    pub async fn stop(&self) {
        if let Some(server) = self.server.lock().await.take() {
            server.stop.send_replace(true);
            // The task ends only after closing its connections; a panic there is not ours.
            let _ = server.task.await;
        }
    }

    /// Listens on the same port again after [`SmtpSink::stop`]; does nothing if running.
    pub async fn restart(&self) -> io::Result<()> {
        let mut server = self.server.lock().await;
        if server.is_none() {
            let listener = bind(self.addr)?;
            *server = Some(serve(listener, Arc::clone(&self.state)));
        }
        Ok(())
    }

    /// Whether it is listening.
    pub async fn is_running(&self) -> bool {
        self.server.lock().await.is_some()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(server) = self.server.get_mut().take() {
            server.stop.send_replace(true);
            server.task.abort();
        }
    }
}

/// SO_REUSEADDR so a restart can take the port back while old connections sit in TIME_WAIT.
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(64)
}

fn serve(listener: TcpListener, state: Arc<State>) -> Server {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut sessions = JoinSet::new();
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        sessions.spawn(session(stream, Arc::clone(&state)));
                    }
                    // E.g. too many open files: back off instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                // Reap finished sessions so the set does not grow without bound.
                Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            }
        }
        drop(listener);
        sessions.shutdown().await;
    });
    Server { stop, task }
}

/// Decrements `counter` if it is above zero; true if it did.
fn take_one(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// The mail list stays usable even if a test panicked while holding the lock.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
