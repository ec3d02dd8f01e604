//! From the bytes a page sent to text: a size cap, then UTF-8 or UTF-16 (by its byte-order
//! mark, or by the zero bytes of mostly-ASCII text without one).

use super::ParseError;

/// The body as text; `cap` is the most bytes accepted.
pub fn decode(body: &[u8], cap: usize) -> Result<String, ParseError> {
    if body.len() > cap {
        return Err(ParseError::TooLarge { cap });
    }
    if let Some(rest) = body.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest);
    }
    if let Some(rest) = body.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = body.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    // No mark: UTF-16 shows as a zero in every other byte of ASCII text.
    if body.len() >= 4 && body.len().is_multiple_of(2) {
        if body[0] != 0 && body[1] == 0 && body[3] == 0 {
            return utf16(body, u16::from_le_bytes);
        }
        if body[0] == 0 && body[1] != 0 && body[2] == 0 {
            return utf16(body, u16::from_be_bytes);
        }
    }
    utf8(body)
}

fn utf8(body: &[u8]) -> Result<String, ParseError> {
    std::str::from_utf8(body)
        .map(str::to_owned)
        .map_err(|_| ParseError::Encoding)
}

fn utf16(body: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, ParseError> {
    if !body.len().is_multiple_of(2) {
        return Err(ParseError::Encoding);
    }
    let units = body.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| ParseError::Encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn utf8_and_utf16_bodies_are_text_and_big_ones_refused() {
        assert_eq!(decode(b"{\"a\":1}", 100).as_deref(), Ok("{\"a\":1}"));
        assert_eq!(decode(b"\xEF\xBB\xBF{}", 100).as_deref(), Ok("{}"));
        assert_eq!(
            decode(&utf16le("{\"é\":1}", true), 100).as_deref(),
            Ok("{\"é\":1}")
        );
        assert_eq!(
            decode(&utf16le("<rss/>", false), 100).as_deref(),
            Ok("<rss/>")
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend("[]".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be, 100).as_deref(), Ok("[]"));
        assert_eq!(decode(b"\xFF\xFE\x00", 100), Err(ParseError::Encoding));
        assert_eq!(decode(b"\xC3\x28", 100), Err(ParseError::Encoding));
        assert_eq!(
            decode(&[b' '; 101], 100),
            Err(ParseError::TooLarge { cap: 100 })
        );
    }
}
