//! "What did the screen say?": a reporter's short error message, turned into a phrase that
//! identifies no one. Only the phrase is kept; the raw text is dropped here, never stored and
//! never logged. Phrases are published only once enough different reporters sent the same
//! one (`store::ReportLog::top_phrases`), so the normalisation groups variants together and
//! takes out what could point at a person: digits and hex runs are masked (`#`), addresses,
//! e-mails, phone numbers, handles, account-like ids and name-like words removed.

/// Longest message a report may carry, in characters.
pub const MAX_MESSAGE_CHARS: usize = 80;

/// Why a message was refused (the report is refused with it, naming `message`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("at most {MAX_MESSAGE_CHARS} characters")]
    TooLong,
    #[error("must not contain control or invisible formatting characters")]
    ControlCharacter,
    #[error("not valid UTF-8")]
    InvalidUtf8,
}

/// A normalised phrase: lower case, single spaces, no quotes, `#` for numbers, nothing that
/// looks personal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phrase(String);

impl Phrase {
    /// Normalises a reporter's message; `Ok(None)` when nothing is left (an empty message, or
    /// one that was only a phone number, say).
    pub fn parse(raw: &str) -> Result<Option<Self>, MessageError> {
        // Counted as sent, as the API's schema states the bound (`maxLength`).
        if raw.chars().count() > MAX_MESSAGE_CHARS {
            return Err(MessageError::TooLong);
        }
        let raw = raw.trim();
        if raw.contains('\u{FFFD}') {
            return Err(MessageError::InvalidUtf8);
        }
        if raw.chars().any(is_control) {
            return Err(MessageError::ControlCharacter);
        }
        let text = without_phone_numbers(raw);
        let words: Vec<&str> = text.split_whitespace().collect();
        let title_case = mostly_capitalised(&words);
        let mut out: Vec<String> = Vec::with_capacity(words.len());
        let mut sentence_start = true;
        let mut after_cue = false;
        for word in &words {
            let unquoted: String = word.chars().filter(|c| !is_quote(*c)).collect();
            let ends_sentence = unquoted.ends_with(['.', '!', '?', ':', ';']);
            let core = unquoted.trim_matches(|c: char| !c.is_alphanumeric() && c != '#');
            let kept = if unquoted.contains('@') {
                // An e-mail address or a handle.
                Word::Drop
            } else {
                classify(core, sentence_start, title_case, after_cue)
            };
            // A name goes on while capitalised words follow it ("Hi Anna Bianchi").
            let name = matches!(kept, Word::Drop) && is_capitalised(core);
            after_cue = CUES.contains(&core.to_lowercase().as_str()) || (name && !ends_sentence);
            sentence_start = ends_sentence;
            match kept {
                Word::Drop => {}
                Word::Mask => {
                    if out.last().map(String::as_str) != Some("#") {
                        out.push("#".to_owned());
                    }
                }
                Word::Keep => out.push(core.to_lowercase()),
            }
        }
        // Lower case can be longer than upper case (İ → i̇): the bound holds for the phrase too.
        let phrase: String = out.join(" ").chars().take(MAX_MESSAGE_CHARS).collect();
        let phrase = phrase.trim_end().to_owned();
        Ok((!phrase.is_empty()).then_some(Self(phrase)))
    }

    /// The phrase as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The phrase, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Words after which a name or an id usually follows ("Hi Maria", "user jdoe").
const CUES: &[&str] = &[
    "hi", "hello", "hey", "dear", "welcome", "user", "username", "account", "id", "name", "ciao",
    "hola", "bonjour", "hallo", "olá", "oi", "customer", "member",
];

enum Word {
    Keep,
    Mask,
    Drop,
}

fn classify(core: &str, sentence_start: bool, title_case: bool, after_cue: bool) -> Word {
    if core.is_empty() {
        return Word::Drop;
    }
    if looks_like_address(core) || core.contains('@') {
        return Word::Drop;
    }
    if is_number_or_hex(core) {
        return Word::Mask;
    }
    let digits = core.chars().any(|c| c.is_ascii_digit());
    let letters = core.chars().any(char::is_alphabetic);
    if digits && letters {
        // user1234, AB12CD34: an account, order or device id.
        return Word::Drop;
    }
    if digits {
        return Word::Mask;
    }
    if core.contains('_') {
        // jane_doe: a handle (error codes such as ERR_CONNECTION_RESET are upper case).
        if core.chars().any(char::is_lowercase) {
            return Word::Drop;
        }
    }
    let capitalised = is_capitalised(core);
    if capitalised && after_cue {
        return Word::Drop;
    }
    if capitalised && !sentence_start && !title_case {
        // A capital inside a sentence: a name, as far as we can tell.
        return Word::Drop;
    }
    Word::Keep
}

/// `Maria`: an upper-case letter followed by at least one lower-case one.
fn is_capitalised(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase) && chars.any(char::is_lowercase)
}

/// Whether the words after the first are mostly capitalised ("Something Went Wrong",
/// "NETWORK ERROR"): then capitals say nothing about names.
fn mostly_capitalised(words: &[&str]) -> bool {
    let alpha: Vec<&&str> = words
        .iter()
        .skip(1)
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    let capitals = alpha
        .iter()
        .filter(|w| {
            w.chars()
                .find(|c| c.is_alphabetic())
                .is_some_and(char::is_uppercase)
        })
        .count();
    !alpha.is_empty() && capitals * 3 >= alpha.len() * 2
}

/// `503`, `0x80070005`, `3f2a9c`, `123e4567-e89b-12d3`, `10:42`: numbers and hex runs.
fn is_number_or_hex(core: &str) -> bool {
    let lower = core.to_ascii_lowercase();
    let body = lower.strip_prefix("0x").unwrap_or(&lower);
    let mut any_digit = false;
    let all = body.split(['-', ':', '.', '/', ',']).all(|part| {
        any_digit |= part.chars().any(|c| c.is_ascii_digit());
        part.chars().all(|c| c.is_ascii_hexdigit())
    });
    all && (any_digit || (body.len() >= 8 && !body.contains('-')))
}

/// `https://…`, `www.example.com`, `example.org/path`: a web address or a host name.
fn looks_like_address(core: &str) -> bool {
    let lower = core.to_lowercase();
    if lower.contains("://") || lower.starts_with("www.") {
        return true;
    }
    let host = lower.split(['/', '?', '#']).next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|tld| {
            (2..=24).contains(&tld.len()) && tld.chars().all(char::is_alphabetic)
        })
}

/// Runs of digits, spaces and `+-().` with seven digits or more: phone numbers (and other
/// long numbers written in groups), replaced by a space.
fn without_phone_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if word_start && (chars[i].is_ascii_digit() || chars[i] == '+') {
            let mut end = i;
            let mut last_digit = None;
            let mut digits = 0;
            while end < chars.len() && is_phone_char(chars[end]) {
                if chars[end].is_ascii_digit() {
                    digits += 1;
                    last_digit = Some(end);
                }
                end += 1;
            }
            let word_end =
                last_digit.is_some_and(|l| chars.get(l + 1).is_none_or(|c| !c.is_alphanumeric()));
            if let (true, true, Some(last)) = (digits >= 7, word_end, last_digit) {
                out.push(' ');
                i = last + 1;
                continue;
            }
            out.extend(&chars[i..end.max(i + 1)]);
            i = end.max(i + 1);
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn is_phone_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/')
}

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '`' | '“' | '”' | '‘' | '’' | '«' | '»' | '„' | '‚' | '‹' | '›'
    )
}

/// Control characters, and the invisible ones that change how text reads (zero-width,
/// bidirectional overrides, byte order mark).
fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(raw: &str) -> Option<String> {
        Phrase::parse(raw)
            .expect("accepted")
            .map(Phrase::into_string)
    }

    #[test]
    fn variants_of_one_message_become_one_phrase() {
        for raw in [
            "Something went wrong",
            "something went wrong.",
            "  \"Something  went wrong!\" ",
            "“Something went wrong”",
            "SOMETHING WENT WRONG",
            "Something Went Wrong",
        ] {
            assert_eq!(
                phrase(raw).as_deref(),
                Some("something went wrong"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn numbers_and_hex_runs_are_masked() {
        assert_eq!(phrase("Error 503").as_deref(), Some("error #"));
        assert_eq!(
            phrase("Error code 0x80070005, try again").as_deref(),
            Some("error code # try again")
        );
        assert_eq!(
            phrase("request id 3f2a9c7e-1b2c-4d5e").as_deref(),
            Some("request id #")
        );
        assert_eq!(phrase("at 10:42 502 504").as_deref(), Some("at #"));
    }

    #[test]
    fn addresses_emails_phones_handles_and_ids_are_removed() {
        assert_eq!(
            phrase("Visit https://status.example.com/x for help").as_deref(),
            Some("visit for help")
        );
        assert_eq!(phrase("see www.example.org").as_deref(), Some("see"));
        assert_eq!(
            phrase("no account for jane.doe@example.com").as_deref(),
            Some("no account for")
        );
        assert_eq!(
            phrase("call +39 333 123 4567 now").as_deref(),
            Some("call now")
        );
        assert_eq!(phrase("call (555) 010-9999").as_deref(), Some("call"));
        assert_eq!(phrase("@jdoe blocked").as_deref(), Some("blocked"));
        assert_eq!(phrase("user8842 is locked").as_deref(), Some("is locked"));
        assert_eq!(phrase("jane_doe is locked").as_deref(), Some("is locked"));
        assert_eq!(phrase("+39 333 123 4567"), None);
    }

    #[test]
    fn names_are_removed() {
        assert_eq!(
            phrase("Welcome back, Maria. Try later").as_deref(),
            Some("welcome back try later")
        );
        assert_eq!(phrase("Hi John, error").as_deref(), Some("hi error"));
        assert_eq!(
            phrase("Sorry Marco Rossi, the service is down").as_deref(),
            Some("sorry the service is down")
        );
        assert_eq!(
            phrase("Hello Anna Bianchi").as_deref(),
            Some("hello"),
            "title case, but after a greeting"
        );
    }

    #[test]
    fn error_codes_in_capitals_stay() {
        assert_eq!(
            phrase("ERR_CONNECTION_RESET").as_deref(),
            Some("err_connection_reset")
        );
    }

    #[test]
    fn bad_messages_are_refused() {
        assert_eq!(Phrase::parse(&"a".repeat(81)), Err(MessageError::TooLong));
        assert!(
            Phrase::parse(&"é".repeat(80)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            Phrase::parse("bad\u{0007}bell"),
            Err(MessageError::ControlCharacter)
        );
        assert_eq!(
            Phrase::parse("two\nlines"),
            Err(MessageError::ControlCharacter)
        );
        assert_eq!(
            Phrase::parse("rtl\u{202E}override"),
            Err(MessageError::ControlCharacter)
        );
        assert_eq!(
            Phrase::parse("broken \u{FFFD} text"),
            Err(MessageError::InvalidUtf8)
        );
        assert_eq!(Phrase::parse("   "), Ok(None));
        assert_eq!(Phrase::parse("\"\" ..."), Ok(None));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn a_phrase_is_short_lower_case_and_has_no_digits(raw in any::<String>()) {
            if let Ok(Some(p)) = Phrase::parse(&raw) {
                let p = p.into_string();
                prop_assert!(p.chars().count() <= MAX_MESSAGE_CHARS);
                prop_assert!(!p.chars().any(|c| c.is_ascii_digit()), "{p:?}");
                prop_assert!(!p.contains('@'));
                prop_assert!(!p.contains("  "));
                prop_assert_eq!(p.trim(), p.as_str());
            }
        }

        #[test]
        fn a_phrase_is_its_own_normal_form(raw in "[a-zA-Z0-9 .,!'@:/-]{0,80}") {
            if let Ok(Some(p)) = Phrase::parse(&raw) {
                let again = Phrase::parse(p.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(again.as_ref().map(Phrase::as_str), Some(p.as_str()));
            }
        }
    }
}
