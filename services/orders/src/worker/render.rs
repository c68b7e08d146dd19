//! Composing invoice mails off the async runtime, at a lower CPU priority.
//!
//! Composing one invoice (the PDF: font subsetting, deflate) is about a millisecond of pure
//! CPU. On a runtime thread it would hold up every request queued behind it; on a thread of
//! equal priority it would take CPU from the webhooks under load.
//! So it runs on one thread of its own at nice 10: under load the webhooks come first and
//! the invoices wait in the outbox, durably as always; on an idle machine they are composed
//! at full speed.

use std::{panic::AssertUnwindSafe, sync::mpsc, thread};

use shop_invoice::{Invoice, InvoiceError, Mailbox, Message};
use tokio::sync::oneshot;

/// What composing answered: the mail and its PDF, the reason it cannot be built, or the
/// panic.
type Composed = thread::Result<Result<(Message, Vec<u8>), InvoiceError>>;

struct Job {
    invoice: Invoice,
    from: Mailbox,
    reply: oneshot::Sender<Composed>,
}

/// Handle on the composing thread; it stops once every handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct Renderer {
    jobs: mpsc::Sender<Job>,
}

/// The composing thread is gone (only while the process shuts down).
#[derive(Debug, thiserror::Error)]
#[error("the invoice composing thread has stopped")]
pub(super) struct RendererGone;

impl Renderer {
    /// Starts the composing thread.
    pub(super) fn start() -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("invoice-render".to_owned())
            .spawn(move || {
                lower_priority();
                for job in queue {
                    let composed = std::panic::catch_unwind(AssertUnwindSafe(
                        || -> Result<(Message, Vec<u8>), InvoiceError> {
                            let pdf = shop_invoice::render_pdf(&job.invoice)?;
                            let mail = shop_invoice::compose_with_pdf(
                                &job.invoice,
                                &job.from,
                                pdf.clone(),
                            )?;
                            Ok((mail, pdf))
                        },
                    ));
                    // The caller may have given up (shutdown): nothing to tell it then.
                    let _ = job.reply.send(composed);
                }
            })
            // Like an allocation failure: nothing sensible is left to do.
            .expect("cannot start the invoice composing thread");
        Self { jobs }
    }

    /// Composes the invoice mail; also answers its PDF. A panic while composing is resumed here, in the caller, as
    /// if it had composed it itself.
    pub(super) async fn compose(
        &self,
        invoice: Invoice,
        from: Mailbox,
    ) -> Result<Result<(Message, Vec<u8>), InvoiceError>, RendererGone> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                invoice,
                from,
                reply,
            })
            .map_err(|_| RendererGone)?;
        match answer.await.map_err(|_| RendererGone)? {
            Ok(composed) => Ok(composed),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Nice 10 for the calling thread and the threads it starts afterwards (on Linux, nice
/// values are per thread, inherited). Lowering one's own priority needs no privilege; if it
/// fails anyway, the work merely runs at normal priority.
pub fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority has no memory-safety preconditions; `who` 0 is this thread.
        let failed = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) } != 0;
        if failed {
            tracing::debug!(
                error = %std::io::Error::last_os_error(),
                "cannot lower the priority of the invoice composing thread"
            );
        }
    }
}
