//! The fixed symptom vocabulary and the default symptoms of each service category.

/// Every symptom a report may name, as `(code, English label)`.
pub const SYMPTOMS: &[(&str, &str)] = &[
    ("login", "Login"),
    ("website", "Website"),
    ("app", "App"),
    ("server-connection", "Server connection"),
    ("payments", "Payments"),
    ("notifications", "Notifications"),
    ("video-streaming", "Video streaming"),
    ("voice-calls", "Voice calls"),
    ("messaging", "Messaging"),
    ("mobile-data", "Mobile data"),
    ("internet", "Internet"),
    ("tv", "TV"),
    ("email", "Email"),
    ("search", "Search"),
    ("uploads", "Uploads"),
    ("online-play", "Online play"),
    ("account", "Account"),
    ("downloads", "Downloads"),
    ("api", "API"),
    ("landline", "Landline"),
    ("sms", "SMS"),
    ("card-payments", "Card payments"),
    ("atm", "ATM"),
    ("transfers", "Transfers"),
    ("music-streaming", "Music streaming"),
    ("purchases", "Purchases"),
];

/// Service categories with the symptoms a service of that category accepts unless it
/// overrides them.
pub const CATEGORIES: &[(&str, &str, &[&str])] = &[
    (
        "social",
        "Social networks",
        &[
            "login",
            "website",
            "app",
            "messaging",
            "notifications",
            "uploads",
            "video-streaming",
        ],
    ),
    (
        "messaging",
        "Messaging and calls",
        &[
            "login",
            "messaging",
            "voice-calls",
            "notifications",
            "app",
            "uploads",
            "server-connection",
        ],
    ),
    (
        "ai",
        "AI assistants",
        &[
            "login",
            "website",
            "app",
            "api",
            "server-connection",
            "uploads",
        ],
    ),
    (
        "streaming",
        "Video streaming",
        &[
            "login",
            "video-streaming",
            "app",
            "website",
            "tv",
            "payments",
        ],
    ),
    (
        "music",
        "Music",
        &["login", "music-streaming", "app", "website", "downloads"],
    ),
    (
        "cloud",
        "Cloud, hosting and developer tools",
        &[
            "website",
            "api",
            "login",
            "server-connection",
            "uploads",
            "downloads",
        ],
    ),
    (
        "email",
        "Email and office",
        &["login", "email", "website", "app", "uploads", "search"],
    ),
    (
        "search",
        "Search and portals",
        &["search", "website", "login", "email"],
    ),
    (
        "bank",
        "Banks",
        &[
            "login",
            "app",
            "website",
            "card-payments",
            "transfers",
            "atm",
            "payments",
        ],
    ),
    (
        "payments",
        "Payments and fintech",
        &["login", "app", "payments", "card-payments", "transfers"],
    ),
    (
        "games",
        "Games",
        &[
            "login",
            "server-connection",
            "online-play",
            "purchases",
            "downloads",
            "voice-calls",
        ],
    ),
    (
        "mobile",
        "Mobile operators",
        &[
            "mobile-data",
            "voice-calls",
            "sms",
            "internet",
            "app",
            "payments",
        ],
    ),
    (
        "isp",
        "Internet and fixed-line providers",
        &["internet", "landline", "tv", "email", "website", "login"],
    ),
    (
        "shopping",
        "Shopping, delivery and travel",
        &["login", "website", "app", "payments", "purchases", "search"],
    ),
];

/// Whether `code` is in the symptom vocabulary.
pub fn is_symptom(code: &str) -> bool {
    SYMPTOMS.iter().any(|(c, _)| *c == code)
}

/// The default symptoms of a category, or `None` for an unknown category.
pub fn category_symptoms(category: &str) -> Option<&'static [&'static str]> {
    CATEGORIES
        .iter()
        .find(|(c, _, _)| *c == category)
        .map(|(_, _, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_default_is_in_the_vocabulary() {
        for (category, _, symptoms) in CATEGORIES {
            assert!(!symptoms.is_empty(), "{category} has no symptoms");
            for s in *symptoms {
                assert!(is_symptom(s), "{category} names unknown symptom {s}");
            }
        }
    }
}
