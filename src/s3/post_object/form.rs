//! A `multipart/form-data` body read as it streams (RFC 7578): the fields before the
//! `file` part, kept (at most [`MAX_FIELDS_BYTES`], as S3's limit on what precedes the
//! file), then the file's content handed out chunk by chunk — never held whole. The
//! delimiter is searched across chunk boundaries by keeping its length minus one bytes
//! back.

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem::Finder;

use super::super::body::RequestBody;
use super::super::error::{S3Error, S3ErrorCode, S3Result};

/// S3's limit on the size of the form fields that precede the file.
pub const MAX_FIELDS_BYTES: usize = 20 * 1024;

/// The most a part's header block may take.
const MAX_PART_HEADERS: usize = 8 * 1024;

/// The boundary of a `multipart/form-data` Content-Type, `None` for any other type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let mime = params.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| {
            let v = v.trim();
            v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v).to_owned()
        })
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

fn malformed(why: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedPOSTRequest,
        format!("The body of your POST request is not well-formed multipart/form-data: {why}."),
    )
}

/// What the `file` part says of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// The `filename` of its Content-Disposition (`${filename}` in the key becomes it).
    pub filename: String,
    /// Its own Content-Type, if it has one.
    pub content_type: Option<String>,
}

/// The form's fields: names lower case (S3 reads them case-insensitively), values as sent.
pub type Fields = Vec<(String, String)>;

/// Reads a form body.
pub struct FormReader {
    body: RequestBody,
    delimiter: Finder<'static>,
    delimiter_len: usize,
    buf: BytesMut,
    ended: bool,
    file_done: bool,
    /// Bytes consumed before the file's content (boundaries, part headers, fields).
    before_file: usize,
}

/// Where a search for the next boundary stands.
enum Search {
    /// A boundary starts at this offset of the buffer.
    At(usize),
    /// None in the buffer yet: read more (and search from where this search stopped).
    More,
}

impl FormReader {
    /// A reader of `body`, whose parts are separated by `boundary`.
    pub fn new(body: RequestBody, boundary: &str) -> Self {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        let delimiter_len = delimiter.len();
        // The first delimiter has no CRLF before it: start with one.
        let mut buf = BytesMut::with_capacity(16 * 1024);
        buf.extend_from_slice(b"\r\n");
        Self { body, delimiter: Finder::new(&delimiter).into_owned(), delimiter_len, buf, ended: false, file_done: false, before_file: 0 }
    }

    /// Reads more of the body into the buffer; `false` at its end.
    async fn fill(&mut self) -> S3Result<bool> {
        if self.ended {
            return Ok(false);
        }
        if let Some(chunk) = self.body.next().await {
            self.buf.extend_from_slice(&chunk?);
            Ok(true)
        } else {
            self.ended = true;
            Ok(false)
        }
    }

    /// The next boundary at or after `*from`: a delimiter followed by `--` or CRLF (a
    /// delimiter followed by anything else is content). `*from`
    /// moves past what has been ruled out, so that a search resumed after more bytes
    /// arrive never scans the same bytes twice (a body trickled in tiny chunks costs
    /// linear time, not quadratic).
    fn search(&self, from: &mut usize) -> Search {
        loop {
            let Some(i) = self.delimiter.find(&self.buf[*from..]).map(|i| i + *from) else {
                *from = (*from).max(self.buf.len().saturating_sub(self.delimiter_len - 1));
                return Search::More;
            };
            let after = i + self.delimiter_len;
            match self.buf.get(after..after + 2) {
                None => {
                    *from = i;
                    return Search::More;
                }
                // (Transport padding before the CRLF is allowed by RFC 2046 but sent by no
                // browser; taking it as a boundary would cut content short.)
                Some(b"--" | b"\r\n") => return Search::At(i),
                Some(_) => *from = i + 1,
            }
        }
    }

    /// Counts `n` bytes consumed before the file against S3's limit.
    fn consumed(&mut self, n: usize) -> S3Result<()> {
        self.before_file += n;
        if self.before_file > MAX_FIELDS_BYTES {
            return Err(S3Error::new(S3ErrorCode::MaxPostPreDataLengthExceededError));
        }
        Ok(())
    }

    /// Whether the bytes buffered before the file already exceed what the limit leaves.
    fn over_limit(&self) -> bool {
        self.before_file + self.buf.len() > MAX_FIELDS_BYTES + self.delimiter_len + 4
    }

    /// Reads the fields up to the `file` part (whose headers are consumed); the file's
    /// content then comes from [`Self::next_file_chunk`].
    pub async fn read_fields(&mut self) -> S3Result<(Fields, FileInfo)> {
        let mut fields = Fields::new();
        // Skip any preamble up to the first delimiter.
        let mut from = 0;
        let start = loop {
            if let Search::At(i) = self.search(&mut from) {
                break i;
            }
            if self.over_limit() {
                return Err(S3Error::new(S3ErrorCode::MaxPostPreDataLengthExceededError));
            }
            if !self.fill().await? {
                return Err(malformed("no opening boundary"));
            }
        };
        self.consumed((start + self.delimiter_len).saturating_sub(2))?;
        self.buf.advance(start + self.delimiter_len);
        loop {
            // After a delimiter: "--" closes the form, else CRLF opens a part.
            while self.buf.len() < 2 {
                if !self.fill().await? {
                    return Err(malformed("the body ends inside a boundary"));
                }
            }
            if self.buf.starts_with(b"--") {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "POST requires exactly one file upload per request: the form has no field named 'file'.",
                ));
            }
            let headers = self.part_headers().await?;
            let (name, filename, content_type) = parse_part_headers(&headers)?;
            let name = name.to_ascii_lowercase();
            if name == "file" {
                return Ok((fields, FileInfo { filename: filename.unwrap_or_default(), content_type }));
            }
            let mut from = 0;
            let value = loop {
                if let Search::At(i) = self.search(&mut from) {
                    self.consumed(i + self.delimiter_len)?;
                    let value = self.buf.split_to(i);
                    self.buf.advance(self.delimiter_len);
                    break value;
                }
                if self.over_limit() {
                    return Err(S3Error::new(S3ErrorCode::MaxPostPreDataLengthExceededError));
                }
                if !self.fill().await? {
                    return Err(malformed("the body ends inside a field"));
                }
            };
            let value = String::from_utf8(value.to_vec()).map_err(|_| malformed("a field is not UTF-8"))?;
            if fields.iter().any(|(n, _)| *n == name) {
                return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, format!("The form field {name} appears more than once.")));
            }
            fields.push((name, value));
        }
    }

    /// The header block of the part that starts at the buffer (its CRLF first).
    async fn part_headers(&mut self) -> S3Result<String> {
        let mut from = 0;
        let too_long = || malformed("a part's headers are too long");
        let end = loop {
            if let Some(i) = memchr::memmem::find(&self.buf[from..], b"\r\n\r\n") {
                break from + i;
            }
            from = self.buf.len().saturating_sub(3);
            // (The same limits whatever the pieces the body arrives in.)
            if self.buf.len() >= MAX_PART_HEADERS {
                return Err(too_long());
            }
            if self.over_limit() {
                return Err(S3Error::new(S3ErrorCode::MaxPostPreDataLengthExceededError));
            }
            if !self.fill().await? {
                return Err(malformed("the body ends inside a part's headers"));
            }
        };
        if end + 4 > MAX_PART_HEADERS {
            return Err(too_long());
        }
        self.consumed(end + 4)?;
        let block = self.buf.split_to(end + 4);
        let text = std::str::from_utf8(&block).map_err(|_| malformed("a part's headers are not UTF-8"))?;
        Ok(text.to_owned())
    }

    /// The next chunk of the file's content, `None` once its closing delimiter was
    /// read. A body that ends before it is malformed (the upload must not be stored).
    pub async fn next_file_chunk(&mut self) -> Option<S3Result<Bytes>> {
        if self.file_done {
            return None;
        }
        let mut from = 0;
        loop {
            if let Search::At(i) = self.search(&mut from) {
                self.file_done = true;
                let chunk = self.buf.split_to(i).freeze();
                self.buf.advance(self.delimiter_len);
                return if chunk.is_empty() { None } else { Some(Ok(chunk)) };
            }
            // Everything before where a boundary could still begin is file content.
            if from > 64 * 1024 {
                return Some(Ok(self.buf.split_to(from).freeze()));
            }
            match self.fill().await {
                Ok(true) => {}
                Ok(false) => return Some(Err(malformed("the body ends inside the file"))),
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Reads and drops the rest of the body, up to `limit` bytes, without parsing it: a
    /// refused form is answered after its upload rather than by a reset connection.
    pub async fn drain(&mut self, limit: u64) {
        let mut seen = 0u64;
        self.buf.clear();
        while seen < limit && !self.ended {
            match self.body.next().await {
                Some(Ok(chunk)) => seen += chunk.len() as u64,
                _ => return,
            }
        }
    }
}

/// The `name`, `filename` and Content-Type of a part's header block.
fn parse_part_headers(block: &str) -> S3Result<(String, Option<String>, Option<String>)> {
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in block.split("\r\n").filter(|l| !l.is_empty()) {
        let Some((header, value)) = line.split_once(':') else {
            return Err(malformed("a part header has no ':'"));
        };
        if header.trim().eq_ignore_ascii_case("content-disposition") {
            for param in split_params(value).into_iter().skip(1) {
                if let Some((k, v)) = param.split_once('=') {
                    let v = unquote(v.trim());
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(v),
                        "filename" => filename = Some(v),
                        _ => {}
                    }
                }
            }
        } else if header.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    let name = name.ok_or_else(|| malformed("a part has no Content-Disposition name"))?;
    Ok((name, filename, content_type))
}

/// Splits a header value at `;` outside quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value[start..].trim());
    out
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(chunks: Vec<&'static [u8]>) -> RequestBody {
        let items: Vec<Result<Bytes, crate::auth::AuthError>> = chunks.into_iter().map(|c| Ok(Bytes::from_static(c))).collect();
        RequestBody::new(Box::pin(futures_util::stream::iter(items)), None)
    }

    async fn file_of(reader: &mut FormReader) -> S3Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = reader.next_file_chunk().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    const FORM: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"Key\"\r\n\r\nuser/${filename}\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"x-amz-meta-a\"\r\n\r\nsemi;colon\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\nContent-Type: text/plain\r\n\r\n\
line one\r\n--XyZZ not a boundary\r\n--XyZ\r\nContent-Disposition: form-data; name=\"after\"\r\n\r\nignored\r\n--XyZ--\r\n";

    #[tokio::test]
    async fn fields_then_the_file_at_every_split() {
        for split in 1..FORM.len() {
            let (a, b) = FORM.split_at(split);
            let mut reader = FormReader::new(body_of(vec![a, b]), "XyZ");
            let (fields, file) = reader.read_fields().await.unwrap();
            assert_eq!(
                fields,
                vec![("key".to_owned(), "user/${filename}".to_owned()), ("x-amz-meta-a".to_owned(), "semi;colon".to_owned())]
            );
            assert_eq!(file, FileInfo { filename: "a \"b\".txt".into(), content_type: Some("text/plain".into()) });
            assert_eq!(file_of(&mut reader).await.unwrap(), b"line one\r\n--XyZZ not a boundary", "split at {split}");
        }
    }

    #[tokio::test]
    async fn a_form_trickled_byte_by_byte_reads_the_same() {
        let bytes: Vec<&'static [u8]> = FORM.chunks(1).collect();
        let mut reader = FormReader::new(body_of(bytes), "XyZ");
        let (fields, _) = reader.read_fields().await.unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(file_of(&mut reader).await.unwrap(), b"line one\r\n--XyZZ not a boundary");
    }

    #[tokio::test]
    async fn malformed_forms() {
        let code = |r: S3Result<(Fields, FileInfo)>| r.unwrap_err().code;
        let mut r = FormReader::new(body_of(vec![b"--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--XyZ--\r\n"]), "XyZ");
        assert_eq!(code(r.read_fields().await), S3ErrorCode::InvalidArgument);
        let mut r = FormReader::new(body_of(vec![b"no boundary at all"]), "XyZ");
        assert_eq!(code(r.read_fields().await), S3ErrorCode::MalformedPOSTRequest);
        let mut r = FormReader::new(body_of(vec![b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ntruncated"]), "XyZ");
        r.read_fields().await.unwrap();
        assert_eq!(file_of(&mut r).await.unwrap_err().code, S3ErrorCode::MalformedPOSTRequest);
        let big: &'static [u8] = Box::leak(
            format!("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n{}\r\n--XyZ", "x".repeat(30_000))
                .into_bytes()
                .into_boxed_slice(),
        );
        let mut r = FormReader::new(body_of(vec![big]), "XyZ");
        assert_eq!(code(r.read_fields().await), S3ErrorCode::MaxPostPreDataLengthExceededError);
    }

    #[test]
    fn boundaries() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk").as_deref(),
            Some("----WebKitFormBoundary7MA4YWxk")
        );
        assert_eq!(boundary("Multipart/Form-Data;boundary=\"a b\"").as_deref(), Some("a b"));
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }
}
