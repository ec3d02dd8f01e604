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
    // Added with platforms and phrases (issue 17); codes above keep their meaning.
    ("sign-up", "Sign-up"),
    ("chat-responses", "Chat responses"),
    ("image-generation", "Image generation"),
    ("voice-mode", "Voice mode"),
    ("online-banking", "Online banking"),
    ("matchmaking", "Matchmaking"),
    ("store", "Store"),
    ("fibre", "Fibre broadband"),
    ("no-signal", "No signal"),
    ("video-calls", "Video calls"),
    ("feed", "Feed"),
    ("orders", "Orders and delivery"),
];

/// Service categories with the symptoms a service of that category accepts unless it
/// overrides them.
pub const CATEGORIES: &[(&str, &str, &[&str])] = &[
    (
        "social",
        "Social networks",
        &[
            "login",
            "feed",
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
            "video-calls",
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
            "chat-responses",
            "login",
            "sign-up",
            "image-generation",
            "voice-mode",
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
            "online-banking",
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
            "matchmaking",
            "store",
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
            "no-signal",
            "internet",
            "fibre",
            "app",
            "payments",
        ],
    ),
    (
        "isp",
        "Internet and fixed-line providers",
        &[
            "internet", "fibre", "landline", "tv", "email", "website", "login",
        ],
    ),
    (
        "shopping",
        "Shopping, delivery and travel",
        &[
            "login",
            "website",
            "app",
            "payments",
            "purchases",
            "orders",
            "search",
        ],
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
    fn categories_have_the_symptoms_their_services_fail_with() {
        let of = |c: &str| category_symptoms(c).unwrap_or_default();
        for s in [
            "chat-responses",
            "image-generation",
            "sign-up",
            "voice-mode",
        ] {
            assert!(of("ai").contains(&s), "ai: {s}");
        }
        for s in ["card-payments", "transfers", "online-banking"] {
            assert!(of("bank").contains(&s), "bank: {s}");
        }
        for s in ["matchmaking", "store"] {
            assert!(of("games").contains(&s), "games: {s}");
        }
        for s in ["mobile-data", "voice-calls", "sms", "fibre"] {
            assert!(of("mobile").contains(&s), "mobile: {s}");
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<&str> = SYMPTOMS.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), SYMPTOMS.len());
    }

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
