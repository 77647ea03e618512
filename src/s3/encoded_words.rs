//! RFC 2047 encoded-words in user metadata, as the S3 user guide documents: values are
//! decoded before they are stored (`=?UTF-8?B?w6k=?=` is stored as `é`), and a stored
//! value holding non-ASCII characters is returned encoded (`=?UTF-8?B?…?=`), so that
//! every header value on the wire stays ASCII. Pure functions.

use base64::Engine as _;

/// Decodes every encoded-word of `value` (charsets UTF-8, US-ASCII and ISO-8859-1;
/// `B` and `Q` encodings); whitespace between two adjacent encoded-words is dropped,
/// as RFC 2047 §6.2 says. Text that is not a well-formed encoded-word is kept as is.
pub fn decode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        if let Some((text, used)) = decode_word(candidate) {
            if !(after_word && before.chars().all(char::is_whitespace)) {
                out.push_str(before);
            }
            out.push_str(&text);
            rest = &candidate[used..];
            after_word = true;
        } else {
            out.push_str(before);
            out.push_str("=?");
            rest = &candidate[2..];
            after_word = false;
        }
    }
    out.push_str(rest);
    out
}

/// One `=?charset?enc?text?=` at the start of `s`: its decoded text and length.
fn decode_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset_field, rest) = inner.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let text = &rest[..end];
    if text.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD.decode(text).ok()?,
        "Q" | "q" => decode_q(text)?,
        _ => return None,
    };
    // RFC 2231 language suffix: `UTF-8*en`.
    let charset = charset_field.split('*').next().unwrap_or(charset_field);
    let decoded = if charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii") {
        String::from_utf8(bytes).ok()?
    } else if charset.eq_ignore_ascii_case("iso-8859-1") || charset.eq_ignore_ascii_case("latin1") {
        bytes.iter().map(|b| char::from(*b)).collect()
    } else {
        return None;
    };
    Some((decoded, "=?".len() + charset_field.len() + 1 + encoding.len() + 1 + end + "?=".len()))
}

/// The `Q` encoding: `_` is a space, `=XX` a byte.
fn decode_q(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = b.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// The value as a header shows it: as is when printable ASCII (tab included), else one
/// UTF-8 `B` encoded-word (control characters a `Q` word decoded to included, which no
/// header value may hold raw).
pub fn encode(value: &str) -> std::borrow::Cow<'_, str> {
    if value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
        value.into()
    } else {
        format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(value)).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_encoded_words() {
        assert_eq!(decode("=?UTF-8?B?w6nDqMOg?="), "éèà");
        assert_eq!(decode("=?utf-8?q?caf=C3=A9_au_lait?="), "café au lait");
        assert_eq!(decode("=?ISO-8859-1?Q?Andr=E9?="), "André");
        assert_eq!(decode("a =?UTF-8?B?w6k=?= =?UTF-8?B?w6g=?= b"), "a éè b", "whitespace between words is dropped");
        assert_eq!(decode("plain value"), "plain value");
        assert_eq!(decode("x=?y"), "x=?y");
        assert_eq!(decode("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=", "unknown encoding kept");
        assert_eq!(decode("=?KOI8-R?B?w6k=?="), "=?KOI8-R?B?w6k=?=", "unknown charset kept");
        assert_eq!(decode("=?UTF-8?B?/w==?="), "=?UTF-8?B?/w==?=", "not UTF-8 once decoded: kept");
        assert_eq!(decode("=?UTF-8?Q?=+F?="), "=?UTF-8?Q?=+F?=", "a sign is not a hex digit");
    }

    #[test]
    fn encodes_non_ascii_and_round_trips() {
        assert_eq!(encode("ascii"), "ascii");
        assert_eq!(encode("éèà"), "=?UTF-8?B?w6nDqMOg?=");
        assert_eq!(encode(&decode("=?UTF-8?Q?a=0Ab?=")), "=?UTF-8?B?YQpi?=", "a control character is encoded, not dropped");
        for v in ["日本語", "a é b", "ascii"] {
            assert_eq!(decode(&encode(v)), v);
        }
    }
}
