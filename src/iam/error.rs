//! Every error code of the IAM and STS query APIs, with its HTTP status, and the XML
//! error body they share (`<ErrorResponse><Error><Type>…`). The S3 surface has its own
//! table in `s3::error`.

use hyper::StatusCode;

macro_rules! iam_codes {
    ($($code:ident => $status:expr;)*) => {
        /// An IAM or STS error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum IamErrorCode { $(#[allow(missing_docs)] $code,)* }
        impl IamErrorCode {
            /// The code as sent in `<Code>`.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$code => stringify!($code),)* }
            }
            /// The HTTP status IAM answers with.
            pub fn status(self) -> StatusCode {
                match self { $(Self::$code => $status,)* }
            }
        }
    };
}

iam_codes! {
    AccessDenied => StatusCode::FORBIDDEN;
    DeleteConflict => StatusCode::CONFLICT;
    EntityAlreadyExists => StatusCode::CONFLICT;
    ExpiredToken => StatusCode::BAD_REQUEST;
    ExpiredTokenException => StatusCode::BAD_REQUEST;
    IDPRejectedClaim => StatusCode::FORBIDDEN;
    IncompleteSignature => StatusCode::BAD_REQUEST;
    InvalidAction => StatusCode::BAD_REQUEST;
    InvalidClientTokenId => StatusCode::FORBIDDEN;
    InvalidIdentityToken => StatusCode::BAD_REQUEST;
    InvalidInput => StatusCode::BAD_REQUEST;
    InvalidParameterValue => StatusCode::BAD_REQUEST;
    LimitExceeded => StatusCode::CONFLICT;
    MalformedPolicyDocument => StatusCode::BAD_REQUEST;
    MissingAction => StatusCode::BAD_REQUEST;
    MissingAuthenticationToken => StatusCode::FORBIDDEN;
    NoSuchEntity => StatusCode::NOT_FOUND;
    NotImplemented => StatusCode::NOT_IMPLEMENTED;
    PackedPolicyTooLarge => StatusCode::BAD_REQUEST;
    PasswordPolicyViolation => StatusCode::BAD_REQUEST;
    RequestExpired => StatusCode::BAD_REQUEST;
    ServiceFailure => StatusCode::INTERNAL_SERVER_ERROR;
    SignatureDoesNotMatch => StatusCode::FORBIDDEN;
    UnrecognizedClient => StatusCode::FORBIDDEN;
    ValidationError => StatusCode::BAD_REQUEST;
}

/// An IAM/STS error: a code and the message sent with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct IamError {
    /// The code.
    pub code: IamErrorCode,
    /// The message (never a secret).
    pub message: String,
}

impl IamError {
    /// An error with a message.
    pub fn new(code: IamErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// `NoSuchEntity` for a missing `kind` (`user`, `role`...) named `name`.
    pub fn no_such(kind: &str, name: &str) -> Self {
        Self::new(IamErrorCode::NoSuchEntity, format!("The {kind} with name {name} cannot be found."))
    }

    /// `EntityAlreadyExists` for `kind` named `name`.
    pub fn exists(kind: &str, name: &str) -> Self {
        Self::new(IamErrorCode::EntityAlreadyExists, format!("{kind} with name {name} already exists."))
    }

    /// `ServiceFailure`: an internal error, logged here and answered without detail.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "IAM internal error");
        Self::new(IamErrorCode::ServiceFailure, "The request processing has failed because of an unknown error.")
    }

    /// `AccessDenied` for `action` on `resource` by `arn`, in IAM's words.
    pub fn denied(arn: &str, action: &str, resource: &str) -> Self {
        Self::new(IamErrorCode::AccessDenied, format!("User: {arn} is not authorized to perform: {action} on resource: {resource}"))
    }

    /// The `<ErrorResponse>` body.
    pub fn to_xml(&self, request_id: &str) -> String {
        let kind = if self.code.status().is_server_error() { "Receiver" } else { "Sender" };
        format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>{kind}</Type><Code>{}</Code>\
             <Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            self.code.as_str(),
            crate::iam::xml::escape(&self.message)
        )
    }
}

impl From<crate::store::StoreError> for IamError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::internal(e)
    }
}

/// Results of the IAM layer.
pub type IamResult<T> = Result<T, IamError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_statuses_and_xml() {
        assert_eq!(IamErrorCode::NoSuchEntity.status(), StatusCode::NOT_FOUND);
        assert_eq!(IamErrorCode::EntityAlreadyExists.as_str(), "EntityAlreadyExists");
        let xml = IamError::no_such("user", "a<b").to_xml("rid");
        assert!(xml.contains("<Code>NoSuchEntity</Code>") && xml.contains("a&lt;b") && xml.contains("<Type>Sender</Type>"));
    }
}
