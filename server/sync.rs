//! Small helpers around `std::sync`.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`. A panic while another holder had it leaves the data as that holder left it;
/// the caches and maps kept behind these locks stay valid after any single update, so the
/// lock is taken anyway rather than poisoning every later caller.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
