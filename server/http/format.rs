//! Answering in JSON or CSV: `Accept: text/csv` or `?format=csv` asks for CSV with a header
//! row; everything else gets JSON.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::problem::ApiError;

/// The representation a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// From `?format=` (which wins) or the `Accept` header.
    pub fn of(req: &HttpRequest, format: Option<&str>) -> Result<Self, ApiError> {
        match format {
            Some("json") => return Ok(Format::Json),
            Some("csv") => return Ok(Format::Csv),
            Some(_) => return Err(ApiError::invalid("format", "must be json or csv")),
            None => {}
        }
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Ok(if accept.contains("text/csv") {
            Format::Csv
        } else {
            Format::Json
        })
    }
}

/// A CSV body from flat rows (their field names are the header).
pub fn csv<T: Serialize>(rows: &[T], filename: &str) -> Result<HttpResponse, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}.csv\""),
        ))
        .body(body))
}

/// A CSV with only a header row when there are no rows (so a spreadsheet still opens it).
pub fn csv_or_header<T: Serialize>(
    rows: &[T],
    header_row: &[&str],
    filename: &str,
) -> Result<HttpResponse, ApiError> {
    if rows.is_empty() {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(format!("{}\n", header_row.join(","))));
    }
    csv(rows, filename)
}

/// A page of a CSV list: [`csv_or_header`], with the next page's cursor, if any, in
/// `X-Next-Cursor`.
pub fn csv_page<T: Serialize>(
    rows: &[T],
    header_row: &[&str],
    filename: &str,
    next_cursor: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let mut res = csv_or_header(rows, header_row, filename)?;
    if let Some(v) =
        next_cursor.and_then(|c| actix_web::http::header::HeaderValue::from_str(c).ok())
    {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-next-cursor"),
            v,
        );
    }
    Ok(res)
}
