//! The S3 error surface: every error code coffer can answer, its HTTP status, and the
//! XML body, built in exactly one place.
//!
//! Lower layers have their own typed errors (`AuthError`, `StoreError`, `io::Error`);
//! the `From` impls here are the only mapping to S3 codes. Internal failures become
//! `InternalError` with the detail logged, never sent.

use std::fmt;

use hyper::StatusCode;

use crate::auth::AuthError;
use crate::store::StoreError;

macro_rules! codes {
    ($($code:ident $(as $name:literal)? => $status:expr, $msg:expr;)*) => {
        /// An S3 error code (the `<Code>` element), with its HTTP status and default message.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum S3ErrorCode { $(
            #[doc = $msg]
            $code,
        )* }

        impl S3ErrorCode {
            /// The code as sent in `<Code>` (the variant's name, or the name given with
            /// `as` for codes that are not identifiers, such as `KMS.DisabledException`).
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$code => codes!(@name $code $($name)?),)* }
            }
            /// The HTTP status S3 answers with.
            pub fn status(self) -> StatusCode {
                match self { $(Self::$code => $status,)* }
            }
            /// S3's default message for the code.
            pub fn default_message(self) -> &'static str {
                match self { $(Self::$code => $msg,)* }
            }
        }
    };
    (@name $code:ident $name:literal) => { $name };
    (@name $code:ident) => { stringify!($code) };
}

codes! {
    AccessControlListNotSupported => StatusCode::BAD_REQUEST, "The bucket does not allow ACLs.";
    AccessDenied => StatusCode::FORBIDDEN, "Access Denied";
    AccessForbidden => StatusCode::FORBIDDEN, "CORSResponse: This CORS request is not allowed.";
    BadRequest => StatusCode::BAD_REQUEST, "Bad Request";
    NoSuchCORSConfiguration => StatusCode::NOT_FOUND, "The CORS configuration does not exist";
    NoSuchWebsiteConfiguration => StatusCode::NOT_FOUND, "The specified bucket does not have a website configuration";
    InvalidPolicyDocument => StatusCode::BAD_REQUEST, "The content of the form does not meet the conditions specified in the policy document.";
    MalformedPOSTRequest => StatusCode::BAD_REQUEST, "The body of your POST request is not well-formed multipart/form-data.";
    IncorrectNumberOfFilesInPostRequest => StatusCode::BAD_REQUEST, "POST requires exactly one file upload per request.";
    MaxPostPreDataLengthExceededError => StatusCode::BAD_REQUEST, "Your POST request fields preceding the upload file were too large.";
    KmsDisabled as "KMS.DisabledException" => StatusCode::FORBIDDEN, "The KMS key that protects the object is disabled.";
    KmsInvalidState as "KMS.KMSInvalidStateException" => StatusCode::FORBIDDEN, "The KMS key that protects the object is not in a state that allows its use.";
    KmsNotFound as "KMS.NotFoundException" => StatusCode::BAD_REQUEST, "The KMS key does not exist.";
    KmsLimitExceeded as "KMS.LimitExceededException" => StatusCode::BAD_REQUEST, "A KMS quota was reached.";
    AuthorizationHeaderMalformed => StatusCode::BAD_REQUEST, "The authorization header is malformed.";
    AuthorizationQueryParametersError => StatusCode::BAD_REQUEST, "The authorization query parameters are malformed.";
    BadDigest => StatusCode::BAD_REQUEST, "The Content-MD5 or checksum value that you specified did not match what the server received.";
    BucketAlreadyExists => StatusCode::CONFLICT, "The requested bucket name is not available.";
    BucketAlreadyOwnedByYou => StatusCode::CONFLICT, "Your previous request to create the named bucket succeeded and you already own it.";
    BucketNotEmpty => StatusCode::CONFLICT, "The bucket you tried to delete is not empty.";
    ConditionalRequestConflict => StatusCode::CONFLICT, "A conflicting operation occurred.";
    EntityTooLarge => StatusCode::BAD_REQUEST, "Your proposed upload exceeds the maximum allowed object size.";
    IncompleteBody => StatusCode::BAD_REQUEST, "You did not provide the number of bytes specified by the Content-Length HTTP header.";
    InternalError => StatusCode::INTERNAL_SERVER_ERROR, "We encountered an internal error. Please try again.";
    InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE, "The disk is full: new data is refused until space is freed.";
    QuotaExceeded => StatusCode::FORBIDDEN, "The bucket's quota has been exceeded.";
    InvalidAccessKeyId => StatusCode::FORBIDDEN, "The AWS access key ID you provided does not exist in our records.";
    InvalidArgument => StatusCode::BAD_REQUEST, "Invalid Argument";
    InvalidBucketAclWithObjectOwnership => StatusCode::BAD_REQUEST, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting.";
    InvalidBucketName => StatusCode::BAD_REQUEST, "The specified bucket is not valid.";
    InvalidEncryptionAlgorithmError => StatusCode::BAD_REQUEST, "The encryption request that you specified is not valid.";
    InvalidDigest => StatusCode::BAD_REQUEST, "The Content-MD5 you specified is not valid.";
    InvalidToken => StatusCode::BAD_REQUEST, "The provided token is malformed or otherwise invalid.";
    ExpiredToken => StatusCode::BAD_REQUEST, "The provided token has expired.";
    InvalidLocationConstraint => StatusCode::BAD_REQUEST, "The specified location constraint is not valid.";
    InvalidRedirectLocation => StatusCode::BAD_REQUEST, "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.";
    InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE, "The requested range is not satisfiable";
    InvalidRequest => StatusCode::BAD_REQUEST, "Invalid Request";
    InvalidTag => StatusCode::BAD_REQUEST, "The tag provided was not a valid tag.";
    NoSuchTagSet => StatusCode::NOT_FOUND, "There is no tag set associated with the bucket.";
    NoSuchLifecycleConfiguration => StatusCode::NOT_FOUND, "The lifecycle configuration does not exist.";
    ObjectLockConfigurationNotFoundError => StatusCode::NOT_FOUND, "Object Lock configuration does not exist for this bucket";
    NoSuchObjectLockConfiguration => StatusCode::NOT_FOUND, "The specified object does not have a ObjectLock configuration";
    InvalidBucketState => StatusCode::CONFLICT, "The request is not valid with the current state of the bucket.";
    ServerSideEncryptionConfigurationNotFoundError => StatusCode::NOT_FOUND, "The server side encryption configuration was not found";
    InvalidTargetBucketForLogging => StatusCode::BAD_REQUEST, "The target bucket for logging does not exist, is not owned by you, or does not have the appropriate grants for the log-delivery group.";
    InvalidStorageClass => StatusCode::BAD_REQUEST, "The storage class you specified is not valid.";
    KeyTooLongError => StatusCode::BAD_REQUEST, "Your key is too long.";
    MalformedXML => StatusCode::BAD_REQUEST, "The XML you provided was not well-formed or did not validate against our published schema.";
    MetadataTooLarge => StatusCode::BAD_REQUEST, "Your metadata headers exceed the maximum allowed metadata size.";
    MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED, "The specified method is not allowed against this resource.";
    MissingContentLength => StatusCode::LENGTH_REQUIRED, "You must provide the Content-Length HTTP header.";
    MissingSecurityHeader => StatusCode::BAD_REQUEST, "Your request is missing a required header.";
    NoSuchBucket => StatusCode::NOT_FOUND, "The specified bucket does not exist.";
    NoSuchKey => StatusCode::NOT_FOUND, "The specified key does not exist.";
    NoSuchVersion => StatusCode::NOT_FOUND, "The specified version does not exist.";
    NoSuchUpload => StatusCode::NOT_FOUND, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.";
    InvalidPartNumber => StatusCode::BAD_REQUEST, "The requested partnumber is not satisfiable";
    InvalidPart => StatusCode::BAD_REQUEST, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.";
    InvalidPartOrder => StatusCode::BAD_REQUEST, "The list of parts was not in ascending order. The parts list must be specified in order by part number.";
    EntityTooSmall => StatusCode::BAD_REQUEST, "Your proposed upload is smaller than the minimum allowed object size.";
    NotImplemented => StatusCode::NOT_IMPLEMENTED, "A header or query you provided implies functionality that is not implemented.";
    PreconditionFailed => StatusCode::PRECONDITION_FAILED, "At least one of the preconditions you specified did not hold.";
    RequestTimeTooSkewed => StatusCode::FORBIDDEN, "The difference between the request time and the server's time is too large.";
    SlowDown => StatusCode::SERVICE_UNAVAILABLE, "Please reduce your request rate.";
    RequestTimeout => StatusCode::BAD_REQUEST, "Your socket connection to the server was not read from or written to within the timeout period.";
    RequestHeaderSectionTooLarge => StatusCode::BAD_REQUEST, "Your request header section exceeds the maximum allowed size.";
    SignatureDoesNotMatch => StatusCode::FORBIDDEN, "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    MalformedPolicy => StatusCode::BAD_REQUEST, "Policies must be valid JSON and the first byte must be '{'";
    MalformedACLError => StatusCode::BAD_REQUEST, "The XML you provided was not well-formed or did not validate against our published schema.";
    NoSuchBucketPolicy => StatusCode::NOT_FOUND, "The bucket policy does not exist";
    NoSuchPublicAccessBlockConfiguration => StatusCode::NOT_FOUND, "The public access block configuration was not found";
    OwnershipControlsNotFoundError => StatusCode::NOT_FOUND, "The bucket ownership controls were not found";
    UnexpectedContent => StatusCode::BAD_REQUEST, "This request does not support content";
    UnresolvableGrantByEmailAddress => StatusCode::BAD_REQUEST, "The email address you provided does not match any account on record.";
    XAmzContentSHA256Mismatch => StatusCode::BAD_REQUEST, "The provided 'x-amz-content-sha256' header does not match what was computed.";
}

/// An S3 error response: code, message, and extra headers some errors carry.
#[derive(Debug)]
pub struct S3Error {
    /// The code (decides the status).
    pub code: S3ErrorCode,
    /// The `<Message>`.
    pub message: String,
    /// Headers to add (e.g. `x-amz-delete-marker`).
    pub headers: Vec<(&'static str, String)>,
    /// Extra elements of the XML body (e.g. `<Region>` of AuthorizationHeaderMalformed,
    /// which clients such as s3cmd read to retry in the right region).
    pub elements: Vec<(&'static str, String)>,
}

/// Result of S3 handlers.
pub type S3Result<T> = Result<T, S3Error>;

impl S3Error {
    /// An error with the code's default message.
    pub fn new(code: S3ErrorCode) -> Self {
        Self { code, message: code.default_message().to_owned(), headers: Vec::new(), elements: Vec::new() }
    }

    /// An error with a specific message.
    pub fn with_message(code: S3ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), headers: Vec::new(), elements: Vec::new() }
    }

    /// `InternalError`, logging `detail` (which is never sent to the client).
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(detail = %detail, "internal error");
        Self::new(S3ErrorCode::InternalError)
    }

    /// An I/O failure of the write path: 507 InsufficientStorage when the disk is full
    /// (saying so), else `InternalError` (logged, never sent).
    pub fn from_io(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            tracing::warn!(error = %e, "write refused: disk full");
            return Self::with_message(
                S3ErrorCode::InsufficientStorage,
                "The disk is full (no space left on device). Delete objects or add space.",
            );
        }
        Self::internal(e)
    }

    /// The XML body for this error.
    pub fn to_xml(&self, resource: &str, request_id: &str) -> String {
        let mut extra = String::new();
        for (name, value) in &self.elements {
            extra.push('<');
            extra.push_str(name);
            extra.push('>');
            extra.push_str(&escape(value));
            extra.push_str("</");
            extra.push_str(name);
            extra.push('>');
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>{extra}<Resource>{}</Resource><RequestId>{}</RequestId></Error>",
            self.code.as_str(),
            escape(&self.message),
            escape(resource),
            escape(request_id)
        )
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Shorthand for an error with the default message.
pub fn err<T>(code: S3ErrorCode) -> S3Result<T> {
    Err(S3Error::new(code))
}

/// Shorthand for an error with a message.
pub fn err_msg<T>(code: S3ErrorCode, message: impl Into<String>) -> S3Result<T> {
    Err(S3Error::with_message(code, message))
}

impl From<StoreError> for S3Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchBucket => S3Error::new(S3ErrorCode::NoSuchBucket),
            StoreError::BucketExists { .. } => S3Error::new(S3ErrorCode::BucketAlreadyOwnedByYou),
            StoreError::BucketNotEmpty => S3Error::new(S3ErrorCode::BucketNotEmpty),
            StoreError::PreconditionFailed => S3Error::new(S3ErrorCode::PreconditionFailed),
            StoreError::MethodNotAllowed => S3Error::new(S3ErrorCode::MethodNotAllowed),
            StoreError::NoSuchVersion => S3Error::new(S3ErrorCode::NoSuchVersion),
            StoreError::InvalidVersionId => S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid version id specified"),
            StoreError::NoSuchUpload => S3Error::new(S3ErrorCode::NoSuchUpload),
            StoreError::NoSuchKey | StoreError::SourceGone => S3Error::new(S3ErrorCode::NoSuchKey),
            StoreError::Io(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                S3Error::with_message(S3ErrorCode::NotImplemented, e.to_string())
            }
            StoreError::Io(e) => S3Error::from_io(e),
            StoreError::DiskFull(why) => S3Error::with_message(S3ErrorCode::InsufficientStorage, why),
            StoreError::QuotaExceeded(why) => S3Error::with_message(S3ErrorCode::QuotaExceeded, why),
            StoreError::InvalidBucketState => S3Error::with_message(
                S3ErrorCode::InvalidBucketState,
                "Object Lock needs versioning Enabled: versioning cannot be suspended while it is on, nor it turned on without.",
            ),
            StoreError::ObjectLocked => {
                S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied because object protected by object lock.")
            }
            other => S3Error::internal(other),
        }
    }
}

impl From<AuthError> for S3Error {
    fn from(e: AuthError) -> Self {
        use S3ErrorCode as C;
        if let AuthError::Transport(io) = &e {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return S3Error::new(C::RequestTimeout);
            }
        }
        let code = match e.s3_code() {
            "AccessDenied" => C::AccessDenied,
            "AuthorizationHeaderMalformed" => C::AuthorizationHeaderMalformed,
            "AuthorizationQueryParametersError" => C::AuthorizationQueryParametersError,
            "BadDigest" => C::BadDigest,
            "IncompleteBody" => C::IncompleteBody,
            "InvalidAccessKeyId" => C::InvalidAccessKeyId,
            "InvalidArgument" => C::InvalidArgument,
            "InvalidDigest" => C::InvalidDigest,
            "InvalidRequest" => C::InvalidRequest,
            "InvalidToken" => C::InvalidToken,
            "ExpiredToken" => C::ExpiredToken,
            "MissingSecurityHeader" => C::MissingSecurityHeader,
            "RequestTimeTooSkewed" => C::RequestTimeTooSkewed,
            "SignatureDoesNotMatch" => C::SignatureDoesNotMatch,
            "XAmzContentSHA256Mismatch" => C::XAmzContentSHA256Mismatch,
            "MissingContentLength" => C::MissingContentLength,
            "InternalError" => return S3Error::internal(e.message()),
            other => return S3Error::internal(format!("unmapped auth error {other}: {}", e.message())),
        };
        S3Error::with_message(code, e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_know_their_status_and_xml_escapes() {
        assert_eq!(S3ErrorCode::NoSuchKey.status(), StatusCode::NOT_FOUND);
        assert_eq!(S3ErrorCode::InvalidRange.status().as_u16(), 416);
        assert_eq!(S3ErrorCode::NotImplemented.as_str(), "NotImplemented");
        let xml = S3Error::with_message(S3ErrorCode::NoSuchKey, "a<b").to_xml("/b/k&", "RID");
        assert!(xml.contains("<Code>NoSuchKey</Code><Message>a&lt;b</Message><Resource>/b/k&amp;</Resource><RequestId>RID</RequestId>"));
    }
}
