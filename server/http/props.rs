//! Property tests of what the HTTP edge parses from clients: report bodies (JSON and form),
//! query parameters and `X-Forwarded-For`. Any input gives a value or an error naming a
//! field — never a panic — and well-formed input comes back unchanged.

use std::net::IpAddr;

use actix_web::test::TestRequest;
use proptest::prelude::*;

use super::body::{parse_json, parse_query};
use super::client::client_of;
use super::params::{parse_minutes, parse_scope, parse_time};
use super::problem::ApiError;
use super::reports::{parse_form, ReportBody};

/// The field an error names, or a failed test if the error is not a validation error.
fn field_of(err: ApiError) -> Result<String, TestCaseError> {
    match err {
        ApiError::Invalid { field, .. } => {
            prop_assert!(!field.is_empty(), "an error with an empty field name");
            Ok(field)
        }
        other => Err(TestCaseError::fail(format!(
            "expected a validation error, got {other:?}"
        ))),
    }
}

/// Strings that look a bit like what clients send: JSON-ish punctuation, percent escapes,
/// non-ASCII letters, control characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z0-9{}\\[\\]\",:%&=+ é\u{0}-]{0,60}",]
}

/// Plain text that survives JSON and URL encoding unchanged.
fn field_value() -> impl Strategy<Value = String> {
    any::<String>().prop_map(|s| s.chars().take(40).collect())
}

proptest! {
    #[test]
    fn any_json_body_is_a_report_or_an_error_naming_a_field(raw in text()) {
        if let Err(e) = parse_json::<ReportBody>(&raw) {
            field_of(e)?;
        }
    }

    #[test]
    fn any_json_value_is_a_report_or_an_error_naming_a_field(
        service in proptest::option::of(prop_oneof![
            field_value().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
        ]),
        symptoms in proptest::option::of(proptest::collection::vec(
            prop_oneof![
                field_value().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                Just(serde_json::Value::Null),
            ],
            0..5,
        )),
        extra in proptest::option::of("[a-z]{1,8}"),
    ) {
        let mut body = serde_json::Map::new();
        if let Some(s) = service { body.insert("service".into(), s); }
        if let Some(s) = symptoms { body.insert("symptoms".into(), s.into()); }
        if let Some(k) = extra { body.insert(k, 1.into()); }
        let text = serde_json::Value::Object(body).to_string();
        if let Err(e) = parse_json::<ReportBody>(&text) {
            let field = field_of(e)?;
            prop_assert!(
                ["service", "symptoms", "region", "body"].iter().any(|f| field.starts_with(f))
                    || text.contains(&format!("\"{field}\"")),
                "field {field:?} is not in {text}"
            );
        }
    }

    #[test]
    fn well_formed_json_reports_round_trip(
        service in field_value(),
        symptoms in proptest::collection::vec(field_value(), 0..5),
        region in proptest::option::of(field_value()),
    ) {
        let text = serde_json::json!({
            "service": service, "symptoms": symptoms, "region": region,
        }).to_string();
        let body = parse_json::<ReportBody>(&text).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(body.service, service);
        prop_assert_eq!(body.symptoms, symptoms);
        prop_assert_eq!(body.region, region);
    }

    #[test]
    fn any_form_body_is_a_report_or_an_error_naming_symptoms(raw in text()) {
        if let Err(e) = parse_form(&raw) {
            prop_assert_eq!(field_of(e)?, "symptoms");
        }
    }

    #[test]
    fn well_formed_forms_round_trip(
        service in field_value(),
        symptoms in proptest::collection::vec(field_value(), 0..=16),
        region in proptest::option::of(field_value()),
        submit in any::<bool>(),
    ) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("service", &service);
        for s in &symptoms {
            form.append_pair("symptoms", s);
        }
        if let Some(r) = &region {
            form.append_pair("region", r);
        }
        if submit {
            form.append_pair("send", "Report");
        }
        let input = parse_form(&form.finish()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(input.service, service);
        prop_assert_eq!(input.symptoms, symptoms);
        prop_assert_eq!(input.region, region);
    }

    #[test]
    fn any_query_string_parses_or_names_a_parameter(raw in text()) {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Query {
            from: Option<String>,
            limit: Option<u32>,
            country: Option<String>,
        }
        if let Err(e) = parse_query::<Query>(&raw) {
            field_of(e)?;
        }
    }

    #[test]
    fn any_time_scope_or_duration_parses_or_names_its_parameter(raw in text()) {
        if let Err(e) = parse_time("from", &raw) {
            prop_assert_eq!(field_of(e)?, "from");
        }
        match parse_scope("country", &raw) {
            Ok(scope) => {
                let code = scope.to_string();
                prop_assert!(code == "global" || (code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase())));
            }
            Err(e) => prop_assert_eq!(field_of(e)?, "country"),
        }
        match parse_minutes("window", &raw, 1, 10_080) {
            Ok(m) => prop_assert!((1..=10_080).contains(&m)),
            Err(e) => prop_assert_eq!(field_of(e)?, "window"),
        }
    }

    #[test]
    fn durations_round_trip(n in 0i64..100_000, unit in prop_oneof![Just("m"), Just("h"), Just("d")]) {
        let minutes = n * match unit { "m" => 1, "h" => 60, _ => 1440 };
        let parsed = parse_minutes("window", &format!("{n}{unit}"), 1, 10_080);
        if (1..=10_080).contains(&minutes) {
            prop_assert_eq!(parsed.ok(), Some(minutes));
        } else {
            prop_assert!(parsed.is_err());
        }
    }

    #[test]
    fn rfc3339_times_round_trip(secs in 0i64..4_102_444_800) {
        let t = chrono::DateTime::from_timestamp(secs, 0).expect("in range");
        let parsed = parse_time("from", &t.to_rfc3339()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(parsed, t);
    }

    #[test]
    fn any_forwarded_for_gives_the_peer_or_a_hop(xff in text(), trusted_peer in any::<bool>()) {
        let peer: IpAddr = if trusted_peer { "127.0.0.1" } else { "203.0.113.9" }.parse().expect("ip");
        let trusted = crate::config::parse_networks("127.0.0.1,10.0.0.0/8").expect("nets");
        // A header value that is not valid HTTP is refused before the app sees it.
        prop_assume!(actix_web::http::header::HeaderValue::from_str(&xff).is_ok());
        let req = TestRequest::default()
            .peer_addr(std::net::SocketAddr::new(peer, 4000))
            .insert_header(("x-forwarded-for", xff.as_str()));
        let ip = client_of(&req.to_http_request(), &trusted).expect("a peer").ip;
        if trusted_peer {
            let hops: Vec<IpAddr> = xff.split(',').filter_map(|h| h.trim().parse().ok()).collect();
            prop_assert!(ip == peer || hops.iter().any(|h| crate::ingest::privacy::canonical(*h) == ip));
        } else {
            prop_assert_eq!(ip, peer);
        }
    }

    #[test]
    fn forwarded_chains_yield_the_rightmost_untrusted_hop(
        client in any::<[u8; 4]>(),
        proxies in proptest::collection::vec(any::<[u8; 3]>(), 0..4),
    ) {
        let client = IpAddr::from(client);
        prop_assume!(!client.is_loopback() && !matches!(client, IpAddr::V4(v4) if v4.octets()[0] == 10));
        let mut chain = vec!["198.51.100.1".to_owned(), client.to_string()];
        chain.extend(proxies.iter().map(|p| format!("10.{}.{}.{}", p[0], p[1], p[2])));
        let trusted = crate::config::parse_networks("127.0.0.1,10.0.0.0/8").expect("nets");
        let req = TestRequest::default()
            .peer_addr("127.0.0.1:4000".parse().expect("addr"))
            .insert_header(("x-forwarded-for", chain.join(", ")));
        let ip = client_of(&req.to_http_request(), &trusted).expect("a peer").ip;
        prop_assert_eq!(ip, client);
    }
}
