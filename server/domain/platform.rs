//! Where a reporter saw the problem: the web site, a phone app, a TV… ([`Platform`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::words;

/// Where the reporter uses the service. Optional on a report; counted in the minute buckets
/// (`pf:<platform>`), the rollups and the breakdowns.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "kebab-case")]
#[schema(
    description = "Where the reporter uses the service: `web`, `android`, `ios`, `desktop-app`, \
                   `smart-tv`, `console` or `other`."
)]
pub enum Platform {
    Web,
    Android,
    Ios,
    DesktopApp,
    SmartTv,
    Console,
    Other,
}

words!(Platform, "platform", {
    Web = "web",
    Android = "android",
    Ios = "ios",
    DesktopApp = "desktop-app",
    SmartTv = "smart-tv",
    Console = "console",
    Other = "other",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assert_words_round_trip;

    #[test]
    fn platforms_are_their_words_everywhere() {
        assert_words_round_trip(Platform::ALL);
        assert_eq!(
            Platform::WORDS,
            [
                "web",
                "android",
                "ios",
                "desktop-app",
                "smart-tv",
                "console",
                "other"
            ]
        );
    }
}
