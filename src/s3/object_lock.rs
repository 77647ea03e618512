//! Object Lock on the S3 surface: a bucket's lock configuration
//! (Put/GetObjectLockConfiguration, CreateBucket's `x-amz-bucket-object-lock-enabled`),
//! the lock headers of writes (`x-amz-object-lock-mode`, `-retain-until-date`,
//! `-legal-hold`) and a bucket's default retention, Put/GetObjectRetention,
//! Put/GetObjectLegalHold, the governance bypass, and the response headers. The rules
//! themselves are pure (`model::lock`); the store enforces them under its commit lock.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};

use super::body::RequestBody;
use super::dispatch::{empty, xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, iso8601, to_ms};
use super::xml::{self as x, NS};
use super::Response;
use crate::model::event::CauseKind;
use crate::model::lock::{DefaultRetention, LockConfig, LockMode, Period, Retention};
use crate::model::object::NULL_VERSION;
use crate::model::{stored, ObjectVersion, Versioning};
use crate::store::StoreError;

/// The bucket configuration document holding the lock configuration.
pub const LOCK_CONFIG: &str = crate::store::OBJECT_LOCK_CONFIG;

const MODE: &str = "x-amz-object-lock-mode";
const UNTIL: &str = "x-amz-object-lock-retain-until-date";
const HOLD: &str = "x-amz-object-lock-legal-hold";
const BYPASS: &str = "x-amz-bypass-governance-retention";

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message)
}

fn missing_configuration() -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, "Bucket is missing Object Lock Configuration")
}

/// A bucket's lock configuration, if Object Lock is enabled on it.
pub fn config(ctx: &Ctx<'_>, bucket: &str) -> S3Result<Option<LockConfig>> {
    match ctx.state.store.bucket_config(bucket, LOCK_CONFIG)? {
        Some(raw) => Ok(Some(stored::decode(&raw).map_err(S3Error::internal)?)),
        None => Ok(None),
    }
}

/// The stored form of a lock configuration (for CreateBucket's initial configs).
pub fn encode(config: &LockConfig) -> Vec<u8> {
    stored::encode(config)
}

/// Whether CreateBucket asks for Object Lock (`x-amz-bucket-object-lock-enabled: true`).
pub fn requested_at_creation(ctx: &Ctx<'_>) -> S3Result<bool> {
    const NAME: &str = "x-amz-bucket-object-lock-enabled";
    match ctx.header(NAME).map(str::trim) {
        None if ctx.headers().contains_key(NAME) => Err(invalid("x-amz-bucket-object-lock-enabled must be true or false")),
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(invalid("x-amz-bucket-object-lock-enabled must be true or false")),
    }
}

/// Refuses suspending versioning on a bucket with Object Lock (409 InvalidBucketState).
pub fn check_versioning_change(ctx: &Ctx<'_>, bucket: &str, state: Versioning) -> S3Result<()> {
    if state != Versioning::Enabled && config(ctx, bucket)?.is_some() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidBucketState,
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
        ));
    }
    Ok(())
}

/// What a write's lock headers (or the bucket's default retention) give the new
/// version: its retention and legal hold. Lock headers on a bucket without Object Lock
/// are 400 InvalidRequest; a mode without a date (or the other way round), a date not
/// in the future, or an unknown value are 400 InvalidArgument. `digest_required`:
/// PutObject must then carry Content-MD5 or a checksum, as S3 requires.
pub fn for_write(ctx: &Ctx<'_>, bucket: &str, digest_required: bool) -> S3Result<(Option<Retention>, bool)> {
    // A value that is not text is refused, never taken for an absent header.
    if [MODE, UNTIL, HOLD].iter().any(|h| ctx.headers().contains_key(*h) && ctx.header(h).is_none()) {
        return Err(invalid("Object Lock headers must be text."));
    }
    let (mode, until, hold) = (ctx.header(MODE), ctx.header(UNTIL), ctx.header(HOLD));
    let asked = mode.is_some() || until.is_some() || hold.is_some();
    let Some(config) = config(ctx, bucket)? else {
        return if asked { Err(missing_configuration()) } else { Ok((None, false)) };
    };
    // The issuing clock: a default retention is counted from a time that never goes back.
    let now = ctx.state.store.lock_issuing_now(to_ms((ctx.state.clock)()))?;
    let retention = match (mode, until) {
        (None, None) => config.default.map(|d| d.retention_from(now)),
        (Some(mode), Some(until)) => {
            let mode = LockMode::parse(mode.trim()).ok_or_else(|| invalid("Unknown wormMode directive."))?;
            let until_ms = parse_date(until)?;
            if until_ms <= now {
                return Err(invalid("The retain until date must be in the future!"));
            }
            Some(Retention { mode, until_ms })
        }
        _ => return Err(invalid("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")),
    };
    let legal_hold = match hold.map(str::trim) {
        None | Some("OFF") => false,
        Some("ON") => true,
        Some(_) => return Err(invalid("Legal Hold must be either of 'ON' or 'OFF'")),
    };
    if digest_required && (retention.is_some() || legal_hold) && super::object_put::DeclaredDigests::from_request(ctx)?.is_empty() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
        ));
    }
    Ok((retention, legal_hold))
}

/// An ISO 8601 date (`2030-01-01T00:00:00Z`, fractions allowed) in ms.
fn parse_date(value: &str) -> S3Result<i64> {
    let t = time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| invalid("The retain until date is not a valid ISO 8601 date."))?;
    if t.year() > 9999 {
        return Err(invalid("The retain until date is out of range."));
    }
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).map_err(|_| invalid("The retain until date is out of range."))
}

/// Adds the lock headers of a version to a GET/HEAD response, each only for a caller
/// allowed to read it (`s3:GetObjectRetention`, `s3:GetObjectLegalHold`), as S3.
pub fn put_headers(ctx: &Ctx<'_>, bucket: &str, key: &str, version: &ObjectVersion, h: &mut hyper::HeaderMap) -> S3Result<()> {
    let may = |action: &str| super::access::allowed(ctx, action, bucket, key, Some(&version.version_id), None);
    if let Some(r) = version.retention {
        if may("s3:GetObjectRetention")? {
            headers::put(h, MODE, r.mode.name());
            headers::put(h, UNTIL, &iso8601(r.until_ms));
        }
    }
    if version.legal_hold && may("s3:GetObjectLegalHold")? {
        headers::put(h, HOLD, "ON");
    }
    Ok(())
}

/// Whether the request asks to bypass GOVERNANCE retention and may: the header, and
/// `s3:BypassGovernanceRetention` on the object.
pub fn bypass(ctx: &Ctx<'_>, bucket: &str, key: &str, version_id: Option<&str>) -> S3Result<bool> {
    let asked = ctx.header(BYPASS).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    Ok(asked && super::access::allowed(ctx, "s3:BypassGovernanceRetention", bucket, key, version_id, None)?)
}

/// The S3 error of a store refusal on a locked version.
pub fn locked(e: StoreError) -> S3Error {
    match e {
        StoreError::ObjectLocked => {
            S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied because object protected by object lock.")
        }
        other => other.into(),
    }
}

// ----- documents -----

/// `<ObjectLockConfiguration>`.
#[derive(Serialize, Deserialize, Default)]
struct ConfigurationXml {
    #[serde(rename = "@xmlns", default, skip_deserializing)]
    xmlns: &'static str,
    #[serde(rename = "ObjectLockEnabled", default, skip_serializing_if = "Option::is_none")]
    enabled: Option<String>,
    #[serde(rename = "Rule", default, skip_serializing_if = "Option::is_none")]
    rule: Option<RuleXml>,
}

#[derive(Serialize, Deserialize)]
struct RuleXml {
    #[serde(rename = "DefaultRetention")]
    default: DefaultXml,
}

#[derive(Serialize, Deserialize)]
struct DefaultXml {
    #[serde(rename = "Mode", default, skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    #[serde(rename = "Days", default, skip_serializing_if = "Option::is_none")]
    days: Option<i64>,
    #[serde(rename = "Years", default, skip_serializing_if = "Option::is_none")]
    years: Option<i64>,
}

/// `<Retention>`.
#[derive(Serialize, Deserialize, Default)]
struct RetentionXml {
    #[serde(rename = "@xmlns", default, skip_deserializing)]
    xmlns: &'static str,
    #[serde(rename = "Mode", default, skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    #[serde(rename = "RetainUntilDate", default, skip_serializing_if = "Option::is_none")]
    until: Option<String>,
}

/// `<LegalHold>`.
#[derive(Serialize, Deserialize, Default)]
struct LegalHoldXml {
    #[serde(rename = "@xmlns", default, skip_deserializing)]
    xmlns: &'static str,
    #[serde(rename = "Status", default)]
    status: String,
}

fn parse_configuration(raw: &[u8]) -> S3Result<LockConfig> {
    let doc: ConfigurationXml = x::from_xml(raw, "ObjectLockConfiguration")?;
    if doc.enabled.as_deref() != Some("Enabled") {
        return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "ObjectLockEnabled must be Enabled."));
    }
    let default = match doc.rule {
        None => None,
        Some(RuleXml { default: DefaultXml { mode, days, years } }) => {
            let mode = mode.as_deref().and_then(LockMode::parse).ok_or_else(|| S3Error::new(S3ErrorCode::MalformedXML))?;
            let positive = |n: i64| {
                u32::try_from(n)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| invalid("Default retention period must be a positive integer value."))
            };
            let period = match (days, years) {
                (Some(d), None) => Period::Days(positive(d)?),
                (None, Some(y)) => Period::Years(positive(y)?),
                _ => return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "A default retention has either Days or Years.")),
            };
            Some(DefaultRetention { mode, period })
        }
    };
    Ok(LockConfig { default })
}

fn configuration_xml(config: &LockConfig) -> S3Result<String> {
    let rule = config.default.map(|d| RuleXml {
        default: DefaultXml {
            mode: Some(d.mode.name().to_owned()),
            days: match d.period {
                Period::Days(n) => Some(i64::from(n)),
                Period::Years(_) => None,
            },
            years: match d.period {
                Period::Years(n) => Some(i64::from(n)),
                Period::Days(_) => None,
            },
        },
    });
    x::to_xml("ObjectLockConfiguration", &ConfigurationXml { xmlns: NS, enabled: Some("Enabled".into()), rule })
}

// ----- operations -----

/// PUT /bucket?object-lock: enables Object Lock (for good) on a versioned bucket, or
/// changes its default retention.
pub async fn put_configuration(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let raw = super::document::read(ctx, body, true).await?;
    let config = parse_configuration(&raw)?;
    let record = ctx.state.store.bucket(bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchBucket))?;
    // Checked again under the store's lock, with the bucket's incarnation.
    ctx.state.store.set_object_lock(bucket, record.created_ms, encode(&config)).await.map_err(|e| match e {
        StoreError::InvalidBucketState => S3Error::with_message(
            S3ErrorCode::InvalidBucketState,
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
        ),
        other => other.into(),
    })?;
    Ok(empty(StatusCode::OK))
}

/// GET /bucket?object-lock.
pub fn get_configuration(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let config = config(ctx, bucket)?.ok_or_else(|| S3Error::new(S3ErrorCode::ObjectLockConfigurationNotFoundError))?;
    Ok(xml(configuration_xml(&config)?))
}

fn with_version(mut r: Response, id: &str) -> Response {
    if id != NULL_VERSION {
        headers::put(r.headers_mut(), "x-amz-version-id", id);
    }
    r
}

/// PUT /bucket/key?retention[&versionId=].
pub async fn put_retention(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    config(ctx, bucket)?.ok_or_else(missing_configuration)?;
    let raw = super::document::read(ctx, body, true).await?;
    let doc: RetentionXml = x::from_xml(&raw, "Retention")?;
    let retention = match (doc.mode.as_deref(), doc.until.as_deref()) {
        (None, None) => None,
        (Some(mode), Some(until)) => Some(Retention {
            mode: LockMode::parse(mode.trim()).ok_or_else(|| S3Error::new(S3ErrorCode::MalformedXML))?,
            until_ms: parse_date(until)?,
        }),
        _ => return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "A Retention has both Mode and RetainUntilDate, or neither.")),
    };
    let wall = to_ms((ctx.state.clock)());
    let issuing = ctx.state.store.lock_issuing_now(wall)?;
    if retention.is_some_and(|r| r.until_ms <= issuing) {
        return Err(invalid("The retain until date must be in the future!"));
    }
    let version_id = ctx.param("versionId");
    if retention.is_some() {
        super::encryption::check_kms_key_lasting(ctx, super::object_get::find_version(ctx, bucket, key)?.encryption.as_ref())?;
    }
    let bypass = bypass(ctx, bucket, key, version_id)?;
    let id = ctx
        .state
        .store
        .set_retention(bucket, key, version_id, retention, bypass, &ctx.cause(CauseKind::RetentionPut), wall)
        .await
        .map_err(locked)?;
    Ok(with_version(empty(StatusCode::OK), &id))
}

/// GET /bucket/key?retention[&versionId=]: 404 NoSuchObjectLockConfiguration when the
/// version has none.
pub fn get_retention(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    config(ctx, bucket)?.ok_or_else(missing_configuration)?;
    let version = super::object_get::find_version(ctx, bucket, key)?;
    let r = version.retention.ok_or_else(|| S3Error::new(S3ErrorCode::NoSuchObjectLockConfiguration))?;
    let doc = RetentionXml { xmlns: NS, mode: Some(r.mode.name().to_owned()), until: Some(iso8601(r.until_ms)) };
    Ok(with_version(xml(x::to_xml("Retention", &doc)?), &version.version_id))
}

/// PUT /bucket/key?legal-hold[&versionId=].
pub async fn put_legal_hold(ctx: &Ctx<'_>, body: RequestBody) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    config(ctx, bucket)?.ok_or_else(missing_configuration)?;
    let raw = super::document::read(ctx, body, true).await?;
    let doc: LegalHoldXml = x::from_xml(&raw, "LegalHold")?;
    let on = match doc.status.trim() {
        "ON" => true,
        "OFF" => false,
        _ => return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "Legal Hold Status must be either of 'ON' or 'OFF'")),
    };
    if on {
        super::encryption::check_kms_key_lasting(ctx, super::object_get::find_version(ctx, bucket, key)?.encryption.as_ref())?;
    }
    let now = to_ms((ctx.state.clock)());
    let id = ctx
        .state
        .store
        .set_legal_hold(bucket, key, ctx.param("versionId"), on, &ctx.cause(CauseKind::LegalHoldPut), now)
        .await
        .map_err(locked)?;
    Ok(with_version(empty(StatusCode::OK), &id))
}

/// GET /bucket/key?legal-hold[&versionId=].
pub fn get_legal_hold(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    config(ctx, bucket)?.ok_or_else(missing_configuration)?;
    let version = super::object_get::find_version(ctx, bucket, key)?;
    let doc = LegalHoldXml { xmlns: NS, status: if version.legal_hold { "ON" } else { "OFF" }.to_owned() };
    Ok(with_version(xml(x::to_xml("LegalHold", &doc)?), &version.version_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations() {
        let doc = |inner: &str| format!("<ObjectLockConfiguration>{inner}</ObjectLockConfiguration>");
        let enabled = "<ObjectLockEnabled>Enabled</ObjectLockEnabled>";
        assert_eq!(parse_configuration(doc(enabled).as_bytes()).unwrap(), LockConfig { default: None });
        let with_rule = format!("{enabled}<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>3</Days></DefaultRetention></Rule>");
        let parsed = parse_configuration(doc(&with_rule).as_bytes()).unwrap();
        assert_eq!(parsed.default, Some(DefaultRetention { mode: LockMode::Compliance, period: Period::Days(3) }));
        assert_eq!(parse_configuration(configuration_xml(&parsed).unwrap().as_bytes()).unwrap(), parsed);
        let code = |inner: &str| parse_configuration(doc(inner).as_bytes()).unwrap_err().code;
        assert_eq!(code(""), S3ErrorCode::MalformedXML, "not enabled");
        assert_eq!(
            code(&format!("{enabled}<Rule><DefaultRetention><Mode>X</Mode><Days>3</Days></DefaultRetention></Rule>")),
            S3ErrorCode::MalformedXML
        );
        assert_eq!(
            code(&format!(
                "{enabled}<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>3</Days><Years>1</Years></DefaultRetention></Rule>"
            )),
            S3ErrorCode::MalformedXML
        );
        assert_eq!(
            code(&format!("{enabled}<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule>")),
            S3ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:01Z").unwrap(), 1000);
        assert_eq!(parse_date("1970-01-01T00:00:01.5Z").unwrap(), 1500);
        assert!(parse_date("tomorrow").is_err());
    }
}
