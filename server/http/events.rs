//! `GET /api/v1/events`: Server-Sent Events of incidents and state changes.
//!
//! Each client subscribes to this node's [`EventHub`](crate::app::EventHub), which follows
//! the shared event log. A client reconnecting with `Last-Event-ID` first gets what it missed
//! from the log.

use std::cmp::Ordering;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream;
use serde::Deserialize;
use tokio::sync::broadcast;
use utoipa::IntoParams;

use super::body::parse_query;
use super::problem::{ApiError, Problem};
use crate::app::AppState;
use crate::store::LiveEvent;

/// Orders Redis stream ids (`<ms>-<seq>`).
fn compare_ids(a: &str, b: &str) -> Ordering {
    let parse = |s: &str| {
        let (ms, seq) = s.split_once('-').unwrap_or((s, "0"));
        (
            ms.parse::<u64>().unwrap_or(0),
            seq.parse::<u64>().unwrap_or(0),
        )
    };
    parse(a).cmp(&parse(b))
}

fn frame(id: &str, event: &LiveEvent) -> web::Bytes {
    let data = serde_json::to_string(event).unwrap_or_default();
    web::Bytes::from(format!("id: {id}\nevent: {}\ndata: {data}\n\n", event.kind))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this service's events (a slug).
    service: Option<String>,
    /// Resume after this event id, for clients that cannot send the `Last-Event-ID` header.
    last_event_id: Option<String>,
}

/// Live incidents and state changes (Server-Sent Events)
///
/// A `text/event-stream` that stays open: each event has an `id:`, an `event:` name
/// (`incident-opened`, `incident-escalated`, `incident-resolved`, `state-changed`, and for
/// outage events `outage-opened`, `outage-grew`, `outage-updated`, `outage-resolved`, which
/// carry `outage_id`) and JSON `data:` of the `LiveEvent` schema. `?service=` keeps an outage
/// event's news only for its first member. A comment line is sent every 15 seconds of silence.
/// Reconnect with `Last-Event-ID` (browsers' `EventSource` does it) to first get the events
/// missed since, as far as the shared log still holds them.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(
        EventsQuery,
        ("Last-Event-ID" = Option<String>, Header,
            description = "Resume after this event id (wins over `last_event_id`)."),
    ),
    responses(
        (status = 200, description = "The event stream.", body = String,
            content_type = "text/event-stream",
            example = json!("id: 1764252300000-0\nevent: incident-opened\ndata: {\"kind\":\"incident-opened\",\"service\":\"netflix\",\"scope\":\"global\",\"incident_id\":42,\"state\":\"problems\",\"at\":\"2026-11-27T14:05:00Z\"}\n\n")),
        (status = 400, description = "Unknown service or malformed event id; `field` names it.",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event log is unavailable; retry after `Retry-After` \
            seconds.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: EventsQuery = parse_query(req.query_string())?;
    if let Some(s) = &q.service {
        if state.catalog.get(s).is_none() {
            return Err(ApiError::invalid(
                "service",
                format!("unknown service {s:?}"),
            ));
        }
    }
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.last_event_id);
    if let Some(id) = &resume {
        let valid = id.split_once('-').is_some_and(|(a, b)| {
            !a.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        });
        if !valid || id.len() > 40 {
            return Err(ApiError::invalid(
                "last-event-id",
                "not an event id given by this API",
            ));
        }
    }
    // Subscribe before reading the backlog, so nothing falls between the two.
    let rx = state.events.subscribe();
    let backlog = match &resume {
        Some(id) => {
            state
                .stores
                .board
                .events_after(Some(id), Duration::ZERO)
                .await?
        }
        None => Vec::new(),
    };
    let service = q.service;
    let keep = move |e: &LiveEvent| service.as_ref().is_none_or(|s| &e.service == s);
    let mut last = resume.or_else(|| backlog.last().map(|e| e.id.clone()));
    let mut first: Vec<web::Bytes> = vec![web::Bytes::from_static(b"retry: 3000\n\n")];
    for logged in &backlog {
        if keep(&logged.event) {
            first.push(frame(&logged.id, &logged.event));
        }
    }
    if let Some(logged) = backlog.last() {
        last = Some(logged.id.clone());
    }
    let live = stream::unfold((rx, last, keep), |(mut rx, mut last, keep)| async move {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(15), rx.recv()).await;
            match next {
                // A comment line keeps proxies from closing an idle connection.
                Err(_) => {
                    return Some((
                        Ok(web::Bytes::from_static(b": keep-alive\n\n")),
                        (rx, last, keep),
                    ))
                }
                Ok(Ok((id, event))) => {
                    let seen = last
                        .as_deref()
                        .is_some_and(|l| compare_ids(&id, l) != Ordering::Greater);
                    if seen || !keep(&event) {
                        continue;
                    }
                    last = Some(id.clone());
                    return Some((
                        Ok::<_, actix_web::Error>(frame(&id, &event)),
                        (rx, last, keep),
                    ));
                }
                // Too slow a client: it missed events; tell it to reconnect with its id.
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => return None,
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            }
        }
    });
    let body = futures_util::StreamExt::chain(stream::iter(first.into_iter().map(Ok)), live);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        // Compression would hold events back until a buffer fills.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_order_numerically() {
        assert_eq!(compare_ids("10-0", "9-5"), Ordering::Greater);
        assert_eq!(compare_ids("10-2", "10-10"), Ordering::Less);
        assert_eq!(compare_ids("10-2", "10-2"), Ordering::Equal);
    }
}
