//! Every KMS error code coffer answers, in one place: the `__type` of KMS's JSON error
//! body and its HTTP status.

macro_rules! kms_codes {
    ($($code:ident => $status:expr;)*) => {
        /// A KMS error code (the exception name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum KmsErrorCode { $(
            #[allow(missing_docs)]
            $code,
        )* }

        impl KmsErrorCode {
            /// The exception name, as `__type` carries it.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$code => stringify!($code),)* }
            }

            /// The HTTP status KMS answers with.
            pub fn status(self) -> u16 {
                match self { $(Self::$code => $status,)* }
            }
        }
    };
}

kms_codes! {
    AccessDeniedException => 400;
    AlreadyExistsException => 400;
    DisabledException => 400;
    IncorrectKeyException => 400;
    InvalidAliasNameException => 400;
    InvalidCiphertextException => 400;
    InvalidMarkerException => 400;
    KMSInternalException => 500;
    KMSInvalidStateException => 400;
    LimitExceededException => 400;
    ExpiredTokenException => 400;
    NotFoundException => 400;
    UnsupportedOperationException => 400;
    ValidationException => 400;
    UnrecognizedClientException => 400;
    InvalidSignatureException => 400;
    IncompleteSignature => 400;
    UnknownOperationException => 400;
    SerializationException => 400;
}

/// A KMS error: code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct KmsError {
    /// The exception.
    pub code: KmsErrorCode,
    /// What happened.
    pub message: String,
}

impl KmsError {
    /// An error with a message.
    pub fn new(code: KmsErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// The JSON error body.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "__type": self.code.as_str(), "message": self.message }).to_string()
    }
}

/// Results of KMS operations.
pub type KmsResult<T> = Result<T, KmsError>;
