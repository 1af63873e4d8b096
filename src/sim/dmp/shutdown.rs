//! Graceful shutdown (mini-redis `shutdown.rs`): a broadcast tells every task to stop; each connection
//! holds a clone of an `mpsc::Sender`, so "every connection finished" is "the channel closed".

use tokio::sync::broadcast;

/// Listens for the shutdown signal.
#[derive(Debug)]
pub struct Shutdown {
    is_shutdown: bool,
    notify: broadcast::Receiver<()>,
}

impl Shutdown {
    /// Wraps a receiver of the shutdown broadcast.
    pub fn new(notify: broadcast::Receiver<()>) -> Shutdown {
        Shutdown {
            is_shutdown: false,
            notify,
        }
    }

    /// True once the signal was received.
    pub fn is_shutdown(&self) -> bool {
        self.is_shutdown
    }

    /// Waits for the signal (returns at once if already received).
    pub async fn recv(&mut self) {
        if self.is_shutdown {
            return;
        }
        let _ = self.notify.recv().await;
        self.is_shutdown = true;
    }
}
