//! What every page template shares: the chrome (language, asset URLs, the language switch)
//! and small view types.

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};

use super::assets;
use super::i18n::{negotiate, Lang, Texts};
use crate::domain::State;

/// The parts of a page around its content.
pub struct Chrome {
    pub texts: Texts,
    /// The data sources the footer credits.
    pub credits: Vec<crate::geo::Credit>,
    /// The path and query of this page without `lang`, for the language switch.
    here: String,
}

/// One entry of the language switch.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

impl Chrome {
    pub fn new(req: &HttpRequest) -> Self {
        let query: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
            .filter(|(k, _)| k != "lang" && k != "reported")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .take(10)
            .collect();
        let mut here = req.path().to_owned();
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &query {
            ser.append_pair(k, v);
        }
        let rest = ser.finish();
        here.push('?');
        if !rest.is_empty() {
            here.push_str(&rest);
            here.push('&');
        }
        let credits = req
            .app_data::<actix_web::web::Data<crate::app::AppState>>()
            .map(|state| state.credits.clone())
            .unwrap_or_default();
        Chrome {
            texts: Texts::new(negotiate(req)),
            credits,
            here,
        }
    }

    pub fn lang(&self) -> &'static str {
        self.texts.lang.code()
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.texts.t(key)
    }

    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.texts.f(key, args)
    }

    pub fn asset(&self, path: &str) -> String {
        assets::url(path)
    }

    pub fn languages(&self) -> Vec<LangLink> {
        Lang::ALL
            .into_iter()
            .map(|l| LangLink {
                code: l.code(),
                name: l.name(),
                href: format!("{}lang={}", self.here, l.code()),
                current: l == self.texts.lang,
            })
            .collect()
    }
}

/// A moment as pages show it: UTC in the markup; the page's script shows it in the reader's
/// zone and keeps UTC on hover.
pub struct Stamp {
    pub iso: String,
    pub utc: String,
}

impl Stamp {
    pub fn new(at: DateTime<Utc>) -> Self {
        Stamp {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            utc: at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// One row of a share list (symptoms, countries, networks).
pub struct ShareRow {
    pub code: String,
    pub label: String,
    pub reports: i64,
    pub percent: u32,
}

impl ShareRow {
    pub fn new(code: &str, label: String, reports: i64, share: f64) -> Self {
        ShareRow {
            code: code.to_owned(),
            label,
            reports,
            percent: (share * 100.0).round().clamp(0.0, 100.0) as u32,
        }
    }
}

/// A detector state's label and the class pages colour it with.
pub fn state_label(texts: &Texts, state: State) -> &'static str {
    match state {
        State::Problems => texts.t("state.problems"),
        State::PossibleProblems => texts.t("state.possible"),
        State::Ok => texts.t("state.ok"),
    }
}

/// A number of reports as pages print it: whole when large, one decimal when small.
pub fn amount(x: f64) -> String {
    if x >= 10.0 || x == x.trunc() {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.1}")
    }
}

/// What `chart.html` needs to draw a service's reports against its normal level.
pub struct ChartSpec {
    pub service: String,
    /// `1m`, `5m`, `15m` or `1h`.
    pub step: String,
    /// A fixed range (RFC 3339); none for "the last 24 hours".
    pub from: Option<String>,
    pub to: Option<String>,
    /// One country's reports only.
    pub country: Option<String>,
    /// The y axis: "Reports per 5 minutes".
    pub label: String,
    /// Moments marked on the chart (official posts), as JSON `[{"t": seconds, "label"}]`;
    /// empty for none.
    pub marks: String,
}

impl ChartSpec {
    pub fn new(c: &Chrome, service: &str, step: &str) -> Self {
        let label = match step {
            "1m" => c.t("chart.reports_per_1m"),
            "15m" => c.t("chart.reports_per_15m"),
            "1h" => c.t("chart.reports_per_1h"),
            _ => c.t("chart.reports_per_5m"),
        };
        ChartSpec {
            service: service.to_owned(),
            step: step.to_owned(),
            from: None,
            to: None,
            country: None,
            label: label.to_owned(),
            marks: String::new(),
        }
    }
}
