//! Bounding the request head. actix-web's own cap on the head did not stop a 64 KiB header
//! (`tests/api/hostile.rs`: it was answered 200), so this refuses any request whose headers
//! add up to more than [`MAX_HEADER_BYTES`] with a 431 problem.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::ResponseError;

use super::problem::ApiError;

/// Most bytes all header names and values of one request may add up to.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Refuses requests with more than [`MAX_HEADER_BYTES`] of headers, before any handler runs.
pub async fn limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let size: usize = req
        .headers()
        .iter()
        // ": " and "\r\n" around each value, as on the wire.
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        let problem = ApiError::HeadersTooLarge {
            limit: MAX_HEADER_BYTES,
        }
        .error_response();
        return Ok(req.into_response(problem).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
