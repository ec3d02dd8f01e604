//! [`CliError`]: why a command failed, as the user is told.

use std::error::Error as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::ConfigError;
#[cfg(feature = "demo")]
use crate::demo::DemoError;
use crate::detect::replay::ReplayError;
use crate::geo::fetch::FetchError;
use crate::geo::GeoError;
use crate::startup::StartupError;
use crate::store::StoreError;

/// Why a `downwatch` command failed. Shown with its causes ([`CliError::with_causes`]).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot read detector config {}", path.display())]
    ReadDetectConfig {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("detector config {}: {reason}", path.display())]
    DetectConfig { path: PathBuf, reason: String },
    #[error("cannot create the data directory {}", path.display())]
    CreateDataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    WriteSecret {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {listen} (DOWNWATCH_LISTEN)")]
    Listen {
        listen: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open {}", path.display())]
    OpenInput {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("geoip fetch failed")]
    GeoipFetch(#[source] FetchError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Geo(#[from] GeoError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[cfg(feature = "demo")]
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl CliError {
    /// The message and each of its causes, separated by `: `.
    pub fn with_causes(&self) -> String {
        let mut text = self.to_string();
        let mut cause = self.source();
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_shown_with_its_causes() {
        let e = CliError::Listen {
            listen: "127.0.0.1:8080".parse().expect("addr"),
            source: std::io::Error::other("address in use"),
        };
        assert_eq!(
            e.with_causes(),
            "cannot listen on 127.0.0.1:8080 (DOWNWATCH_LISTEN): address in use"
        );
        let e = CliError::from(ConfigError::SecretTooShort { min: 16 });
        assert_eq!(
            e.with_causes(),
            "DOWNWATCH_SECRET must be at least 16 characters"
        );
    }
}
