//! The site's languages: English and Italian, chosen from `?lang=`, then the `lang` cookie,
//! then `Accept-Language`. Texts live in `static/i18n/{en,it}.toml`, one flat key per text.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::HttpRequest;

/// A language of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    It,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::It];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::It => "it",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::It => "Italiano",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.trim();
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    fn texts(self) -> &'static HashMap<String, String> {
        static EN: LazyLock<HashMap<String, String>> =
            LazyLock::new(|| flatten(include_str!("../../static/i18n/en.toml")));
        static IT: LazyLock<HashMap<String, String>> =
            LazyLock::new(|| flatten(include_str!("../../static/i18n/it.toml")));
        match self {
            Lang::En => &EN,
            Lang::It => &IT,
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
    fn both_languages_have_the_same_keys() {
        let en = Lang::En.texts();
        let it = Lang::It.texts();
        assert!(en.len() > 50, "English texts are loaded");
        let mut missing: Vec<&String> = en.keys().filter(|k| !it.contains_key(*k)).collect();
        missing.sort();
        assert!(missing.is_empty(), "Italian lacks {missing:?}");
        let mut extra: Vec<&String> = it.keys().filter(|k| !en.contains_key(*k)).collect();
        extra.sort();
        assert!(
            extra.is_empty(),
            "Italian has keys English lacks: {extra:?}"
        );
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
            from_accept_language("de-DE,en;q=0.5,it;q=0.7"),
            Some(Lang::It)
        );
        assert_eq!(from_accept_language("fr"), None);
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
