//! The facade's open connections: how many there are, which have a request in flight, and
//! since when the others have been idle, so that a full table makes room by closing the
//! connection idle the longest (what nginx does with its "reusable" connections when it
//! runs out), never one in the middle of a request.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Instant,
};

use tokio::sync::Notify;

/// `Connection::state` of a connection chosen to be closed.
const EVICTED: usize = usize::MAX;

/// The open connections, at most `limit` of them (plus those closing).
#[derive(Debug)]
pub(crate) struct Connections {
    limit: usize,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
}

/// One open connection.
#[derive(Debug)]
pub(crate) struct Connection {
    /// Requests in flight, or [`EVICTED`].
    state: AtomicUsize,
    /// When it last became idle (opened, or its last response ended), in µs since `epoch`.
    idle_since: AtomicU64,
    epoch: Instant,
    close: Notify,
}

impl Connections {
    /// A table that holds at most `limit` connections (at least one).
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        metrics::gauge!("shop_http_connections_limit").set(limit as f64);
        metrics::gauge!("shop_http_connections").set(0.0);
        metrics::counter!("shop_http_connections_evicted_total").increment(0);
        metrics::counter!("shop_http_connections_refused_total").increment(0);
        Arc::new(Self {
            limit: limit.max(1),
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Registers a just-accepted connection. When the table is full, first closes the
    /// connection idle the longest; `None` when every connection has a request in flight
    /// (the new one is then refused: closed unanswered).
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Admitted> {
        let mut open = self.lock();
        if open.len() >= self.limit && !evict_longest_idle(&open) {
            metrics::counter!("shop_http_connections_refused_total").increment(1);
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            state: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            epoch: self.epoch,
            close: Notify::new(),
        });
        connection.touch();
        open.insert(id, connection.clone());
        metrics::gauge!("shop_http_connections").set(open.len() as f64);
        Some(Admitted {
            id,
            connection,
            connections: self.clone(),
        })
    }

    /// Closes the connection idle the longest, if there is one (to free a file descriptor).
    pub(crate) fn evict_one(&self) -> bool {
        evict_longest_idle(&self.lock())
    }

    /// The most connections it holds (a new one beyond closes an idle one).
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Connections open now (including those being closed).
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        // The table stays consistent whatever panicked while holding it.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Marks the idle connection that has been idle the longest for closing; false if every
/// connection has a request in flight (or is already closing).
fn evict_longest_idle(open: &HashMap<u64, Arc<Connection>>) -> bool {
    loop {
        let oldest = open
            .values()
            .filter(|c| c.state.load(Ordering::Acquire) == 0)
            .min_by_key(|c| c.idle_since.load(Ordering::Relaxed));
        let Some(oldest) = oldest else {
            return false;
        };
        // A request may have started on it since the load above: then try the next one.
        if oldest
            .state
            .compare_exchange(0, EVICTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            oldest.close.notify_one();
            metrics::counter!("shop_http_connections_evicted_total").increment(1);
            return true;
        }
    }
}

impl Connection {
    /// Counts a request in flight until the returned guard is dropped (when hyper has
    /// written and dropped the response body).
    pub(crate) fn start_request(self: &Arc<Self>) -> InFlight {
        // A request that arrives on a connection chosen for closing, before the close took
        // effect, keeps the connection: it is never cut in the middle of a request.
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(if n == EVICTED { 1 } else { n + 1 })
            });
        InFlight(self.clone())
    }

    /// Resolves once this connection has been chosen for closing (and still has no request
    /// in flight).
    pub(crate) async fn evicted(&self) {
        loop {
            self.close.notified().await;
            if self.state.load(Ordering::Acquire) == EVICTED {
                return;
            }
        }
    }

    fn touch(&self) {
        let micros = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.idle_since.store(micros, Ordering::Relaxed);
    }
}

/// A connection in the table; leaves it when dropped (when the connection's task ends).
#[derive(Debug)]
pub(crate) struct Admitted {
    id: u64,
    connection: Arc<Connection>,
    connections: Arc<Connections>,
}

impl Admitted {
    /// The connection's shared state.
    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.connections.lock();
        open.remove(&self.id);
        metrics::gauge!("shop_http_connections").set(open.len() as f64);
    }
}

/// A request in flight on a connection.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Connection>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.state.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn is_evicted(connection: &Connection) -> bool {
        connection.state.load(Ordering::Acquire) == EVICTED
    }

    #[test]
    fn a_full_table_closes_the_connection_idle_the_longest() {
        let connections = Connections::new(3);
        let first = connections.admit().unwrap();
        std::thread::sleep(Duration::from_millis(2));
        let second = connections.admit().unwrap();
        std::thread::sleep(Duration::from_millis(2));
        let third = connections.admit().unwrap();
        // The first one served a request just now: the second is now idle the longest.
        drop(first.connection().start_request());

        let fourth = connections.admit().expect("room is made");
        assert!(is_evicted(second.connection()));
        assert!(!is_evicted(first.connection()));
        assert!(!is_evicted(third.connection()));
        assert!(!is_evicted(fourth.connection()));
        assert_eq!(connections.len(), 4, "closing, not yet closed");
        drop(second);
        assert_eq!(connections.len(), 3);
    }

    #[test]
    fn a_connection_with_a_request_in_flight_is_never_chosen() {
        let connections = Connections::new(2);
        let busy = connections.admit().unwrap();
        let _request = busy.connection().start_request();
        let idle = connections.admit().unwrap();

        let _third = connections.admit().expect("the idle one makes room");
        assert!(is_evicted(idle.connection()));
        assert!(!is_evicted(busy.connection()));
        // The third is idle: it goes next. Once the fourth is busy too, nothing can make room.
        let fourth = connections.admit().expect("the third makes room");
        let _also_busy = fourth.connection().start_request();
        assert!(connections.admit().is_none(), "everything busy or closing");
        assert!(!is_evicted(busy.connection()));
    }

    #[tokio::test]
    async fn a_request_that_arrives_before_the_close_keeps_the_connection() {
        let connections = Connections::new(1);
        let old = connections.admit().unwrap();
        let new = connections.admit().unwrap();
        let _busy = new.connection().start_request();
        assert!(is_evicted(old.connection()));

        let request = old.connection().start_request();
        assert!(!is_evicted(old.connection()));
        let evicted = old.connection().evicted();
        tokio::pin!(evicted);
        let woke = tokio::time::timeout(Duration::from_millis(50), evicted.as_mut()).await;
        assert!(
            woke.is_err(),
            "the pending close is ignored while a request runs"
        );
        drop(request);
        assert!(connections.evict_one(), "idle again: may be closed later");
        evicted.await;
    }
}
