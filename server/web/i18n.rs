//! The site's languages: English, Italian, Spanish, French, German and Portuguese (Brazil),
//! chosen from `?lang=`, then the `lang` cookie, then `Accept-Language`. Texts live in
//! `static/i18n/<code>.toml`, one flat key per text; numbers are written the language's way
//! ([`Texts::number`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::HttpRequest;

/// A language of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    It,
    Es,
    Fr,
    De,
    PtBr,
}

impl Lang {
    pub const ALL: [Lang; 6] = [Lang::En, Lang::It, Lang::Es, Lang::Fr, Lang::De, Lang::PtBr];

    /// The BCP 47 tag: `lang` attributes, `?lang=`, the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::It => "it",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::PtBr => "pt-BR",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::It => "Italiano",
            Lang::Es => "Español",
            Lang::Fr => "Français",
            Lang::De => "Deutsch",
            Lang::PtBr => "Português (Brasil)",
        }
    }

    /// `it`, `IT-ch`, `pt_BR`, `pt-PT`: a tag's primary language decides (all Portuguese is
    /// answered in Brazilian Portuguese, the one the site has).
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.trim();
        Lang::ALL.into_iter().find(|l| {
            l.code()
                .split('-')
                .next()
                .is_some_and(|p| p.eq_ignore_ascii_case(primary))
        })
    }

    /// The decimal and thousands separators of written numbers.
    fn separators(self) -> (char, &'static str) {
        match self {
            Lang::En => ('.', ","),
            Lang::It | Lang::Es | Lang::De | Lang::PtBr => (',', "."),
            // French groups with a narrow no-break space.
            Lang::Fr => (',', "\u{202F}"),
        }
    }

    fn texts(self) -> &'static HashMap<String, String> {
        static EN: LazyLock<HashMap<String, String>> =
            LazyLock::new(|| flatten(include_str!("../../static/i18n/en.toml")));
        static IT: LazyLock<HashMap<String, String>> =
            LazyLock::new(|| flatten(include_str!("../../static/i18n/it.toml")));
        static ES: LazyLock<HashMap<String, String>> =
            LazyLock::new(|| flatten(include_str!("../../static/i18n/es.toml")));
        static FR: LazyLock<HashMap<String, String>> =
            LazyLock::new(|| flatten(include_str!("../../static/i18n/fr.toml")));
        static DE: LazyLock<HashMap<String, String>> =
            LazyLock::new(|| flatten(include_str!("../../static/i18n/de.toml")));
        static PT_BR: LazyLock<HashMap<String, String>> =
            LazyLock::new(|| flatten(include_str!("../../static/i18n/pt-BR.toml")));
        match self {
            Lang::En => &EN,
            Lang::It => &IT,
            Lang::Es => &ES,
            Lang::Fr => &FR,
            Lang::De => &DE,
            Lang::PtBr => &PT_BR,
        }
    }
}

/// Whether the request names its language in the query (`?lang=it`): the answer then sets
/// the cookie so the choice sticks.
pub fn from_query(req: &HttpRequest) -> Option<Lang> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// The reader's language.
pub fn negotiate(req: &HttpRequest) -> Lang {
    if let Some(lang) = from_query(req) {
        return lang;
    }
    if let Some(lang) = req.cookie("lang").and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(from_accept_language)
        .unwrap_or(Lang::En)
}

/// The preferred supported language of an `Accept-Language` header, by quality.
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',').take(20) {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(lang) = Lang::parse(tag) {
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, lang)| lang)
}

/// The texts of one language, with English as the fallback.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub lang: Lang,
}

impl Texts {
    pub fn new(lang: Lang) -> Self {
        Texts { lang }
    }

    /// The text of `key` (English when this language lacks it; the key itself when both do).
    pub fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.lang
            .texts()
            .get(key)
            .or_else(|| Lang::En.texts().get(key))
            .map_or(key, String::as_str)
    }

    /// The text of `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A symptom's label (its code, readable, when no language has one).
    pub fn symptom(&self, code: &str) -> String {
        self.label("symptom", code)
            .unwrap_or_else(|| code.replace('-', " "))
    }

    /// `x` written the language's way with `decimals` digits after the separator:
    /// `1,234.5` in English, `1.234,5` in German, `1 234,5` in French.
    pub fn number(&self, x: f64, decimals: usize) -> String {
        let (decimal, group) = self.lang.separators();
        let text = format!("{:.*}", decimals, x.abs());
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let mut grouped = String::with_capacity(text.len() + 4);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push_str(group);
            }
            grouped.push(digit);
        }
        let sign = if x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
            "-"
        } else {
            ""
        };
        if fraction.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}{decimal}{fraction}")
        }
    }

    /// A count or an expected level as pages show it: whole above 10, one decimal below.
    pub fn amount(&self, x: f64) -> String {
        if x >= 10.0 || x == x.trunc() {
            self.number(x.round(), 0)
        } else {
            self.number(x, 1)
        }
    }

    /// A platform's label ("iPhone or iPad app").
    pub fn platform(&self, code: &str) -> String {
        self.label("platform", code)
            .unwrap_or_else(|| code.replace('-', " "))
    }

    /// A platform after "on" ("on the iOS app"), for sentences.
    pub fn platform_on(&self, code: &str) -> String {
        self.label("platform_on", code)
            .unwrap_or_else(|| self.platform(code))
    }

    /// A category's label.
    pub fn category(&self, code: &str) -> String {
        self.label("category", code)
            .unwrap_or_else(|| code.to_owned())
    }

    fn label(&self, kind: &str, code: &str) -> Option<String> {
        let key = format!("{kind}.{code}");
        self.lang
            .texts()
            .get(&key)
            .or_else(|| Lang::En.texts().get(&key))
            .cloned()
    }
}

/// `a.b = "x"` and `[a] b = "x"` both become the key `a.b`.
fn flatten(source: &str) -> HashMap<String, String> {
    fn walk(prefix: &str, value: &toml::Value, out: &mut HashMap<String, String>) {
        match value {
            toml::Value::Table(table) => {
                for (k, v) in table {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_owned(), s.clone());
            }
            _ => tracing::error!(key = prefix, "a text is not a string"),
        }
    }
    let mut out = HashMap::new();
    match source.parse::<toml::Table>() {
        Ok(table) => walk("", &toml::Value::Table(table), &mut out),
        Err(err) => tracing::error!(%err, "a language file does not parse"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_same_keys_as_english() {
        let en = Lang::En.texts();
        assert!(en.len() > 50, "English texts are loaded");
        for lang in Lang::ALL {
            let texts = lang.texts();
            let mut missing: Vec<&String> = en.keys().filter(|k| !texts.contains_key(*k)).collect();
            missing.sort();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
            let mut extra: Vec<&String> = texts.keys().filter(|k| !en.contains_key(*k)).collect();
            extra.sort();
            assert!(
                extra.is_empty(),
                "{} has keys English lacks: {extra:?}",
                lang.code()
            );
            for (key, text) in texts {
                let holes = |t: &str| {
                    let mut names: Vec<String> = t
                        .split('{')
                        .skip(1)
                        .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                        .collect();
                    names.sort();
                    names
                };
                assert_eq!(
                    holes(text),
                    holes(&en[key]),
                    "{} {key}: the same placeholders as English",
                    lang.code()
                );
                assert!(!text.trim().is_empty(), "{} {key} is empty", lang.code());
            }
        }
    }

    #[test]
    fn numbers_are_written_the_languages_way() {
        let n = |lang, x, d| Texts::new(lang).number(x, d);
        assert_eq!(n(Lang::En, 1234.56, 1), "1,234.6");
        assert_eq!(n(Lang::De, 1234.56, 1), "1.234,6");
        assert_eq!(n(Lang::PtBr, 1234567.0, 0), "1.234.567");
        assert_eq!(n(Lang::Fr, 1234.5, 1), "1\u{202F}234,5");
        assert_eq!(n(Lang::It, 2.5, 1), "2,5");
        assert_eq!(n(Lang::Es, 999.0, 0), "999");
        assert_eq!(n(Lang::En, -0.04, 1), "0.0");
        assert_eq!(n(Lang::En, -12.0, 0), "-12");
        assert_eq!(Texts::new(Lang::De).amount(3.26), "3,3");
        assert_eq!(Texts::new(Lang::De).amount(12345.0), "12.345");
    }

    #[test]
    fn every_symptom_and_category_has_a_label_in_each_language() {
        for lang in Lang::ALL {
            for (code, _) in crate::catalog::symptoms::SYMPTOMS {
                assert!(
                    lang.texts().contains_key(&format!("symptom.{code}")),
                    "{code}"
                );
            }
            for (code, _, _) in crate::catalog::symptoms::CATEGORIES {
                assert!(
                    lang.texts().contains_key(&format!("category.{code}")),
                    "{code}"
                );
            }
        }
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            from_accept_language("it-IT,it;q=0.9,en;q=0.8"),
            Some(Lang::It)
        );
        assert_eq!(
            from_accept_language("nl-NL,en;q=0.5,it;q=0.7"),
            Some(Lang::It)
        );
        assert_eq!(from_accept_language("fr"), Some(Lang::Fr));
        assert_eq!(from_accept_language("pt-BR,pt;q=0.9"), Some(Lang::PtBr));
        assert_eq!(from_accept_language("pt-PT"), Some(Lang::PtBr));
        assert_eq!(from_accept_language("de-AT, es;q=0.9"), Some(Lang::De));
        assert_eq!(from_accept_language("es-419"), Some(Lang::Es));
        assert_eq!(from_accept_language("nl, ja;q=0.8"), None);
        assert_eq!(from_accept_language("it;q=0"), None);
        assert_eq!(from_accept_language(""), None);
    }

    #[test]
    fn placeholders_are_filled() {
        let t = Texts::new(Lang::En);
        let s = t.f(
            "home.problem_detail",
            &[("reports", "120"), ("minutes", "5"), ("expected", "7")],
        );
        assert_eq!(s, "120 reports in 5 min (normal ≈ 7)");
        let it = Texts::new(Lang::It).f("status.problems", &[("service", "Netflix")]);
        assert!(it.contains("con Netflix") && !it.contains('{'), "{it}");
    }
}
