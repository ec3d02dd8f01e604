//! The live events of this process: one task follows the shared event log (a capped Redis
//! stream written by the detector leader, whichever node that is) and fans its events out to
//! subscribers, such as the clients of `GET /api/v1/events`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tracing::warn;

use crate::store::{LiveEvent, LoggedEvent, StatusBoard};

/// Fans the shared event log out to this process's subscribers.
#[derive(Clone)]
pub struct EventHub {
    tx: broadcast::Sender<(String, LiveEvent)>,
}

impl EventHub {
    /// Starts following the log from its current end.
    pub fn start(board: Arc<dyn StatusBoard>) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, _) = broadcast::channel(1024);
        let hub = Self { tx: tx.clone() };
        let task = tokio::spawn(async move {
            let mut last = match board.latest_event_id().await {
                Ok(id) => id,
                Err(e) => {
                    warn!(error = %e, "cannot read the event log");
                    None
                }
            };
            loop {
                match board
                    .events_after(last.as_deref(), Duration::from_secs(5))
                    .await
                {
                    Ok(events) => {
                        for LoggedEvent { id, event } in events {
                            last = Some(id.clone());
                            // No subscriber is fine: nobody is listening on this node.
                            let _ = tx.send((id, event));
                        }
                    }
                    Err(e) => {
                        warn!(error = %e, "event log unavailable; retrying");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        });
        (hub, task)
    }

    /// The events (with their log ids) from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<(String, LiveEvent)> {
        self.tx.subscribe()
    }
}
