//! The warnings PostgreSQL sent this process, as sqlx logs them (`WARN` events of target
//! `sqlx::postgres::notice`), e.g. "there is already a transaction in progress": this test
//! binary's only subscriber, so the counts are the whole process's.

use std::sync::{
    Mutex, OnceLock,
    atomic::{AtomicUsize, Ordering},
};

use tracing::{
    Event, Level, Metadata, Subscriber,
    field::{Field, Visit},
    span,
};

const TARGET: &str = "sqlx::postgres::notice";

static WARNINGS: AtomicUsize = AtomicUsize::new(0);
static SAMPLES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs the subscriber (once per process); call it before anything touches PostgreSQL.
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(Warnings).expect("no other subscriber");
    });
}

/// How many warnings PostgreSQL sent so far.
pub fn count() -> usize {
    WARNINGS.load(Ordering::SeqCst)
}

/// The first few warnings' texts, with how often each came.
pub fn samples() -> Vec<(String, usize)> {
    let mut counted: Vec<(String, usize)> = Vec::new();
    for message in SAMPLES.lock().unwrap().iter() {
        match counted.iter_mut().find(|(m, _)| m == message) {
            Some((_, n)) => *n += 1,
            None => counted.push((message.clone(), 1)),
        }
    }
    counted
}

struct Warnings;

impl Subscriber for Warnings {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Nothing else is recorded: no spans are ever created.
        metadata.target() == TARGET && *metadata.level() <= Level::WARN
    }

    fn event(&self, event: &Event<'_>) {
        if !self.enabled(event.metadata()) {
            return;
        }
        WARNINGS.fetch_add(1, Ordering::SeqCst);
        let mut message = Message(String::new());
        event.record(&mut message);
        let mut samples = SAMPLES.lock().unwrap();
        if samples.len() < 10_000 {
            samples.push(message.0);
        }
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}
