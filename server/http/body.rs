//! Reading request bodies: content type checked, size bounded, UTF-8 required.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::problem::ApiError;

/// Largest body a report or admin request may have.
pub const MAX_BODY: usize = 4 * 1024;

/// Fails with 415 unless the request's content type is `expected` (parameters ignored).
pub fn require_content_type(req: &HttpRequest, expected: &'static str) -> Result<(), ApiError> {
    let actual = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if actual.as_deref() == Some(expected) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType { expected })
    }
}

/// Reads the whole body as UTF-8 text, refusing more than `limit` bytes without reading them all.
pub async fn read_text(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<String, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::invalid("body", format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body.to_vec()).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let field = field_with_bad_bytes(&String::from_utf8_lossy(e.as_bytes()));
        ApiError::invalid(
            field.unwrap_or_else(|| "body".to_owned()),
            format!("not valid UTF-8 (byte {at})"),
        )
    })
}

/// The field whose value holds the bytes that are not UTF-8 (a replacement character once
/// decoded lossily), in a JSON object or a URL-encoded form; none when it cannot be told.
fn field_with_bad_bytes(lossy: &str) -> Option<String> {
    const BAD: char = '\u{FFFD}';
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(lossy) {
        return map.into_iter().find_map(|(k, v)| {
            let holds = match &v {
                serde_json::Value::String(s) => s.contains(BAD),
                other => other.to_string().contains(BAD),
            };
            holds.then_some(k)
        });
    }
    form_urlencoded::parse(lossy.as_bytes())
        .find(|(_, v)| v.contains(BAD))
        .map(|(k, _)| k.into_owned())
        .filter(|k| !k.is_empty() && !k.contains(BAD))
}

/// Reads a JSON object body: `application/json`, at most [`MAX_BODY`] bytes, UTF-8, parsed
/// with the offending field named in the error.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    require_content_type(req, "application/json")?;
    parse_json(&read_text(req, payload, MAX_BODY).await?)
}

/// Deserialises a JSON object, naming the offending field in the error.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    if !text.trim_start().starts_with('{') {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // A string the lexer refuses (a control character, a lone surrogate) is the fault of
        // the field it is the value of, when the path names one.
        let bad_string = inner.is_syntax()
            && [
                "control character",
                "surrogate",
                "escape",
                "unicode code point",
            ]
            .iter()
            .any(|m| message.contains(m));
        let field = if bad_string && path != "." && !path.is_empty() {
            path
        } else if inner.is_syntax() || inner.is_eof() {
            "body".to_owned()
        } else if path != "." && !path.is_empty() {
            path
        } else if let Some(name) = backticked(&message) {
            name
        } else {
            "body".to_owned()
        };
        let reason = if inner.is_syntax() || inner.is_eof() {
            format!("not valid JSON: {message}")
        } else {
            message
        };
        ApiError::invalid(field, reason)
    })
}

/// Deserialises a query string, naming the offending parameter in the error.
pub fn parse_query<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = if path != "." && !path.is_empty() {
            path
        } else {
            backticked(&message).unwrap_or_else(|| "query".to_owned())
        };
        ApiError::invalid(field, message)
    })
}

/// The first `name` in a serde message such as "missing field `service`"; `None` for an
/// empty name (an unknown field called "", as in the query string `=`), which names nothing.
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned()).filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        service: String,
        symptoms: Vec<String>,
    }

    fn field_of(text: &str) -> String {
        match parse_json::<Body>(text) {
            Err(ApiError::Invalid { field, .. }) => field,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field_of(r#"{"symptoms":["login"]}"#), "service");
        assert_eq!(
            field_of(r#"{"service":"x","symptoms":"login"}"#),
            "symptoms"
        );
        assert_eq!(field_of(r#"{"service":"x","symptoms":[1]}"#), "symptoms[0]");
        assert_eq!(
            field_of(r#"{"service":"x","symptoms":[],"evil":1}"#),
            "evil"
        );
        assert_eq!(field_of(r#"{"service":"#), "body");
        assert_eq!(field_of(r#"[]"#), "body");
        assert_eq!(field_of(r#"{"":1}"#), "body", "an empty key names nothing");
    }

    #[test]
    fn an_empty_query_parameter_name_is_blamed_on_the_query() {
        match parse_query::<Body>("=") {
            Err(ApiError::Invalid { field, .. }) => assert_eq!(field, "query"),
            other => panic!("expected invalid, got {other:?}"),
        }
    }
}
