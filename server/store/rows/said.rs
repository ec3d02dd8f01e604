//! What people saw, from raw SQL: phrases with their reporters, platforms with their reports.

use diesel::sql_types::{BigInt, Text};

use crate::store::{parse_stored, PhraseCount, PlatformTotal, StoreError};

/// The word `rollup_platforms` stores for reports that named no platform.
pub const NO_PLATFORM: &str = "unknown";

/// A phrase and the distinct reporters who sent it.
#[derive(diesel::QueryableByName)]
pub struct PhraseRow {
    #[diesel(sql_type = Text)]
    pub phrase: String,
    #[diesel(sql_type = BigInt)]
    pub reporters: i64,
}

impl From<PhraseRow> for PhraseCount {
    fn from(r: PhraseRow) -> Self {
        Self {
            phrase: r.phrase,
            reporters: r.reporters,
        }
    }
}

/// A count of distinct reporters.
#[derive(diesel::QueryableByName)]
pub struct ReportersRow {
    #[diesel(sql_type = BigInt)]
    pub reporters: i64,
}

/// A platform's summed reports.
#[derive(diesel::QueryableByName)]
pub struct PlatformTotalRow {
    #[diesel(sql_type = Text)]
    pub platform: String,
    #[diesel(sql_type = BigInt)]
    pub reports: i64,
}

impl PlatformTotalRow {
    /// The contract type; an unknown platform word fails the read, naming `store`.
    pub fn parse(self, store: &'static str) -> Result<PlatformTotal, StoreError> {
        let platform = if self.platform == NO_PLATFORM {
            None
        } else {
            Some(parse_stored(
                store,
                "rollup_platforms.platform",
                &self.platform,
            )?)
        };
        Ok(PlatformTotal {
            platform,
            reports: self.reports,
        })
    }
}
