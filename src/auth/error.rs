//! Authentication failures, one variant per S3 condition.
//!
//! Each variant maps to exactly one S3 error code and HTTP status, taken from
//! the S3 API reference "Error responses" list
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
//! Building the XML error body is the S3 layer's job; this file only names
//! the condition. Messages never contain secrets or signatures.

use std::io;

/// Why a request (or its body) failed authentication.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// `AccessDenied`, 403: e.g. an expired presigned URL ("Request has expired").
    #[error("{0}")]
    AccessDenied(String),
    /// `AccessDenied`, 403: headers that must be signed (every `x-amz-*`) are
    /// outside the signature; holds their names, comma separated.
    #[error("There were headers present in the request which were not signed: {0}")]
    HeadersNotSigned(String),
    /// `InvalidAccessKeyId`, 403: the access key id is not in the keyring.
    #[error("The AWS access key Id you provided does not exist in our records.")]
    InvalidAccessKeyId,
    /// `InvalidToken`, 400: the session token (`x-amz-security-token`) is malformed, was
    /// not issued by this server, or does not belong to the access key.
    #[error("The provided token is malformed or otherwise invalid.")]
    InvalidToken,
    /// `ExpiredToken`, 400: the temporary credentials have expired.
    #[error("The provided token has expired.")]
    ExpiredToken,
    /// `SignatureDoesNotMatch`, 403: request, chunk or trailer signature is wrong.
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your key and signing method."
    )]
    SignatureDoesNotMatch,
    /// `RequestTimeTooSkewed`, 403: the request time is more than 15 minutes from ours.
    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed,
    /// `AuthorizationHeaderMalformed`, 400: unparsable header, wrong region, wrong credential date.
    #[error("The authorization header is malformed; {0}")]
    AuthorizationHeaderMalformed(String),
    /// `AuthorizationQueryParametersError`, 400: bad presigned-URL parameters (incl. expiry > 7 days).
    #[error("{0}")]
    AuthorizationQueryParametersError(String),
    /// `MissingSecurityHeader`, 400: a required header (e.g. `x-amz-content-sha256`) is absent.
    #[error("Your request is missing a required header: {0}")]
    MissingSecurityHeader(String),
    /// `InvalidArgument`, 400: e.g. an unknown `x-amz-content-sha256` value, two auth mechanisms.
    #[error("{0}")]
    InvalidArgument(String),
    /// `InvalidRequest`, 400: a request S3 refuses as a whole (e.g. unsupported algorithm).
    #[error("{0}")]
    InvalidRequest(String),
    /// `XAmzContentSHA256Mismatch`, 400: the body's SHA-256 differs from the signed one.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    XAmzContentSHA256Mismatch,
    /// `InvalidDigest`, 400: a digest header (Content-MD5, checksum) is not well formed.
    #[error("{0}")]
    InvalidDigest(String),
    /// `BadDigest`, 400: a well-formed digest does not match the received bytes.
    #[error("{0}")]
    BadDigest(String),
    /// `IncompleteBody`, 400: fewer (or more) decoded bytes than `x-amz-decoded-content-length`,
    /// or the body ended before its final chunk.
    #[error("{0}")]
    IncompleteBody(String),
    /// Broken aws-chunked framing (non-hex size, missing CRLF, oversized line, bad trailer).
    ///
    /// AWS documents no error code for broken aws-chunked framing. We answer
    /// `IncompleteBody` (400): a stream whose framing breaks is, to the
    /// decoder, a body that did not deliver the bytes it announced, and the
    /// client's remedy (resend the whole body) is the same.
    #[error("{0}")]
    MalformedChunk(String),
    /// The client went away (or the transport failed) mid-body. Reported as
    /// `IncompleteBody`, 400, though the client usually never sees it.
    #[error("error reading request body: {0}")]
    Transport(#[source] io::Error),
}

impl AuthError {
    /// The S3 error code (`<Code>` of the XML error body).
    pub fn s3_code(&self) -> &'static str {
        match self {
            Self::AccessDenied(_) | Self::HeadersNotSigned(_) => "AccessDenied",
            Self::InvalidAccessKeyId => "InvalidAccessKeyId",
            Self::InvalidToken => "InvalidToken",
            Self::ExpiredToken => "ExpiredToken",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            Self::AuthorizationHeaderMalformed(_) => "AuthorizationHeaderMalformed",
            Self::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            Self::MissingSecurityHeader(_) => "MissingSecurityHeader",
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::InvalidRequest(_) => "InvalidRequest",
            Self::XAmzContentSHA256Mismatch => "XAmzContentSHA256Mismatch",
            Self::InvalidDigest(_) => "InvalidDigest",
            Self::BadDigest(_) => "BadDigest",
            Self::IncompleteBody(_) | Self::MalformedChunk(_) | Self::Transport(_) => "IncompleteBody",
        }
    }

    /// The HTTP status S3 answers with for this code.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::AccessDenied(_)
            | Self::HeadersNotSigned(_)
            | Self::InvalidAccessKeyId
            | Self::SignatureDoesNotMatch
            | Self::RequestTimeTooSkewed => 403,
            Self::AuthorizationHeaderMalformed(_)
            | Self::InvalidToken
            | Self::ExpiredToken
            | Self::AuthorizationQueryParametersError(_)
            | Self::MissingSecurityHeader(_)
            | Self::InvalidArgument(_)
            | Self::InvalidRequest(_)
            | Self::XAmzContentSHA256Mismatch
            | Self::InvalidDigest(_)
            | Self::BadDigest(_)
            | Self::IncompleteBody(_)
            | Self::MalformedChunk(_)
            | Self::Transport(_) => 400,
        }
    }

    /// A human-readable message for the `<Message>` element.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Whether this error came from the transport rather than from the client's data.
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Transport(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses() {
        assert_eq!(AuthError::SignatureDoesNotMatch.s3_code(), "SignatureDoesNotMatch");
        assert_eq!(AuthError::SignatureDoesNotMatch.http_status(), 403);
        let e = AuthError::MalformedChunk("bad".into());
        assert_eq!((e.s3_code(), e.http_status()), ("IncompleteBody", 400));
        let e = AuthError::AuthorizationHeaderMalformed("region".into());
        assert!(e.message().contains("malformed; region"));
        assert_eq!(AuthError::RequestTimeTooSkewed.http_status(), 403);
    }
}
