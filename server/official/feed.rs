//! RSS 2.0 and Atom status feeds (AWS, Azure). A feed lists posts, not incidents: posts are
//! grouped into incidents by their title once its AWS-style prefix (`Service disruption:`,
//! `Informational message:`, `Service is operating normally:`) and `[RESOLVED]` are taken off,
//! and by the service named in AWS's `guid` (`…#ec2-us-east-1_1638823000`).

use chrono::{DateTime, TimeDelta, Utc};

use super::dates::parse_date;
use super::gcp::stage_of;
use super::model::{
    clean_text, Impact, Indicator, OfficialUpdate, ParsedIncident, Snapshot, Stage,
};
use super::ParseError;

/// An incident whose last post is older than this no longer counts for the page's state.
const STALE: TimeDelta = TimeDelta::hours(12);

/// One post of the feed.
struct Post {
    title: String,
    id: String,
    link: Option<String>,
    body: String,
    at: DateTime<Utc>,
}

/// A feed, read at `now`.
pub fn feed(text: &str, now: DateTime<Utc>) -> Result<Snapshot, ParseError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| ParseError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if !matches!(root.tag_name().name(), "rss" | "feed" | "RDF") {
        return Err(ParseError::Xml(format!(
            "not a feed: <{}>",
            root.tag_name().name()
        )));
    }
    let posts: Vec<Post> = root
        .descendants()
        .filter(|n| n.is_element() && matches!(n.tag_name().name(), "item" | "entry"))
        .filter_map(post)
        .collect();
    let mut incidents: Vec<ParsedIncident> = Vec::new();
    for post in posts {
        let (impact, stage, title) = classify(&post.title, &post.body);
        let service = post
            .id
            .rsplit_once('#')
            .map(|(_, tail)| {
                tail.rsplit_once('_')
                    .map_or(tail, |(head, _)| head)
                    .to_owned()
            })
            .filter(|s| !s.is_empty() && s.len() <= 100);
        let key = format!(
            "{}|{}",
            service.as_deref().unwrap_or(""),
            title.to_lowercase()
        );
        let external_id: String = key.chars().take(200).collect();
        let update = OfficialUpdate {
            stage,
            posted_at: post.at,
            body: if post.body.is_empty() {
                post.title.clone()
            } else {
                post.body.clone()
            },
        };
        match incidents.iter_mut().find(|i| i.external_id == external_id) {
            Some(incident) => {
                incident.impact = incident.impact.max(impact);
                incident.updates.push(update);
            }
            None => incidents.push(ParsedIncident {
                external_id,
                title,
                impact,
                stage,
                url: post.link.clone(),
                started_at: post.at,
                resolved_at: None,
                components: service.into_iter().collect(),
                updates: vec![update],
            }),
        }
    }
    for incident in &mut incidents {
        incident.updates.sort_by_key(|u| u.posted_at);
        incident.started_at = incident.first_posted_at();
        let last = incident.updates.last();
        incident.stage = last.map_or(Stage::Unknown, |u| u.stage);
        incident.resolved_at = last.filter(|u| u.stage.is_over()).map(|u| u.posted_at);
    }
    let indicator = incidents
        .iter()
        .filter(|i| i.resolved_at.is_none())
        .filter(|i| i.updates.last().is_some_and(|u| now - u.posted_at < STALE))
        .map(|i| i.impact.indicator())
        .filter(|i| *i != Indicator::Unknown)
        .max()
        .unwrap_or(Indicator::None);
    Ok(Snapshot {
        indicator: Some(indicator),
        components: Vec::new(),
        incidents,
        active_only: false,
    })
}

/// An `<item>` or `<entry>`; one without a title or a readable date is skipped.
fn post(node: roxmltree::Node<'_, '_>) -> Option<Post> {
    let child = |names: &[&str]| {
        node.children()
            .find(|c| c.is_element() && names.contains(&c.tag_name().name()))
    };
    let text = |names: &[&str]| {
        child(names)
            .map(|c| {
                c.descendants()
                    .filter(|d| d.is_text())
                    .filter_map(|d| d.text())
                    .collect::<String>()
            })
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let title = clean_text(&text(&["title"])?);
    let at = text(&["pubDate", "updated", "published", "date"])
        .as_deref()
        .and_then(parse_date)?;
    let link = child(&["link"])
        .and_then(|l| {
            l.attribute("href")
                .map(str::to_owned)
                .or_else(|| l.text().map(str::to_owned))
        })
        .map(|l| l.trim().to_owned())
        .filter(|l| l.starts_with("https://") && l.len() <= 300);
    Some(Post {
        id: text(&["guid", "id"]).unwrap_or_default(),
        body: clean_text(&text(&["description", "summary", "content"]).unwrap_or_default()),
        title,
        link,
        at,
    })
}

/// The impact and stage a post's title (and words) say, and the title without its prefixes.
fn classify(title: &str, body: &str) -> (Impact, Stage, String) {
    let mut rest = title.trim();
    let mut impact = Impact::Unknown;
    let mut stage = None;
    for (prefix, said_impact, said_stage) in [
        ("Service disruption:", Impact::Major, None),
        ("Performance issues:", Impact::Minor, None),
        ("Informational message:", Impact::None, None),
        (
            "Service is operating normally:",
            Impact::None,
            Some(Stage::Resolved),
        ),
        ("Resolved:", Impact::Unknown, Some(Stage::Resolved)),
        ("Mitigated:", Impact::Unknown, Some(Stage::Resolved)),
        ("Active:", Impact::Unknown, Some(Stage::Investigating)),
    ] {
        if let Some(tail) = strip_prefix_ci(rest, prefix) {
            rest = tail.trim();
            impact = said_impact;
            stage = said_stage;
            break;
        }
    }
    if let Some(tail) = strip_prefix_ci(rest, "[RESOLVED]") {
        rest = tail.trim();
        stage = Some(Stage::Resolved);
    }
    let stage = stage.unwrap_or_else(|| match stage_of(body) {
        Stage::Unknown => Stage::Investigating,
        said => said,
    });
    (impact, stage, rest.to_owned())
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}
