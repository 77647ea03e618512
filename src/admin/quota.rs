//! Usage and quotas in the admin API (`coffer admin usage`, `coffer admin quota`).
//!
//! | method and path | does |
//! |---|---|
//! | `GET /v1/usage` | every bucket's usage, its account and quota, and the totals |
//! | `GET /v1/usage/BUCKET` | one bucket's |
//! | `GET /v1/quota/bucket/NAME`, `GET /v1/quota/account/NAME` | a quota with the usage it bounds |
//! | `PUT /v1/quota/bucket/NAME`, `PUT /v1/quota/account/NAME` `{"max_bytes": n or null, "max_objects": n or null}` | sets it (both null: removes it) |
//!
//! Usage is read from the records the store keeps current with every write (no scan).

use serde_json::{json, Value};

use crate::iam::{IamError, IamErrorCode};
use crate::model::usage::{BucketUsage, Quota};
use crate::s3::AppState;

/// What a quota applies to.
enum Scope {
    /// A bucket, by name.
    Bucket(String),
    /// An account: its name and id.
    Account { name: String, id: String },
}

fn usage_json(u: &BucketUsage) -> Value {
    json!({
        "objects": u.objects,
        "versions": u.versions,
        "bytes": u.bytes,
        "delete_markers": u.delete_markers,
        "uploads": u.uploads,
        "upload_bytes": u.upload_bytes,
        "stored_bytes": u.stored_bytes(),
    })
}

fn quota_json(q: &Quota) -> Value {
    json!({ "max_bytes": q.max_bytes, "max_objects": q.max_objects })
}

/// The name of the account with id `id` (the id itself if unknown).
fn account_name(state: &AppState, id: &str) -> String {
    state.iam.directory().accounts.get(id).map_or_else(|| id.to_owned(), |a| a.account.name.clone())
}

/// `GET /v1/usage[/BUCKET]`.
pub fn usage(state: &AppState, bucket: Option<&str>) -> Result<Value, IamError> {
    let store = &state.store;
    let default_account = state.iam.default_account();
    let all = store.all_usage()?;
    let mut rows = Vec::new();
    let mut total = BucketUsage::default();
    for (name, record) in store.list_buckets()? {
        if bucket.is_some_and(|b| b != name) {
            continue;
        }
        let usage = all.get(&name).copied().unwrap_or_default();
        total = total.plus(&usage);
        let account = crate::iam::principal::owner_account(&record.owner, &default_account).to_owned();
        let mut row = usage_json(&usage);
        row["bucket"] = json!(name);
        row["account"] = json!(account_name(state, &account));
        row["quota"] = quota_json(&store.bucket_quota(&name)?);
        rows.push(row);
    }
    if let Some(b) = bucket {
        if rows.is_empty() {
            return Err(IamError::new(IamErrorCode::NoSuchEntity, format!("no bucket {b}")));
        }
    }
    Ok(json!({ "buckets": rows, "total": usage_json(&total) }))
}

/// `GET /v1/quota/{bucket|account}/NAME`.
pub fn get(state: &AppState, rest: &str) -> Result<Value, IamError> {
    let scope = scope(state, rest)?;
    let (quota, usage) = match &scope {
        Scope::Bucket(b) => (state.store.bucket_quota(b)?, state.store.bucket_usage(b)?),
        Scope::Account { id, .. } => (state.store.account_quota(id), state.store.account_usage(id)?),
    };
    Ok(answer(&scope, &quota, &usage))
}

/// `PUT /v1/quota/{bucket|account}/NAME`.
pub async fn set(state: &AppState, rest: &str, body: &[u8]) -> Result<Value, IamError> {
    let scope = scope(state, rest)?;
    let input: Value = serde_json::from_slice(body).map_err(|e| IamError::new(IamErrorCode::InvalidInput, format!("body: {e}")))?;
    let limit = |field: &str| -> Result<Option<u64>, IamError> {
        match input.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                IamError::new(IamErrorCode::InvalidInput, format!("{field}: a whole number of at least 0, or null for no limit"))
            }),
        }
    };
    let quota = Quota { max_bytes: limit("max_bytes")?, max_objects: limit("max_objects")? };
    let usage = match &scope {
        Scope::Bucket(b) => {
            state.store.set_bucket_quota(b, quota).await?;
            state.store.bucket_usage(b)?
        }
        Scope::Account { id, .. } => {
            state.store.set_account_quota(id, quota).await?;
            state.store.account_usage(id)?
        }
    };
    let out = answer(&scope, &quota, &usage);
    tracing::info!(target: "coffer::admin", scope = %out["scope"], max_bytes = ?quota.max_bytes, max_objects = ?quota.max_objects, "quota set");
    Ok(out)
}

fn answer(scope: &Scope, quota: &Quota, usage: &BucketUsage) -> Value {
    let (kind, name) = match scope {
        Scope::Bucket(b) => ("bucket", b.as_str()),
        Scope::Account { name, .. } => ("account", name.as_str()),
    };
    json!({ "scope": format!("{kind}:{name}"), "quota": quota_json(quota), "usage": usage_json(usage) })
}

/// `bucket/NAME` or `account/NAME` (percent-encoded), checked to exist.
fn scope(state: &AppState, rest: &str) -> Result<Scope, IamError> {
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    match rest.split_once('/') {
        Some(("bucket", name)) => {
            let name = decode(name);
            if state.store.bucket(&name)?.is_none() {
                return Err(IamError::new(IamErrorCode::NoSuchEntity, format!("no bucket {name}")));
            }
            Ok(Scope::Bucket(name))
        }
        Some(("account", name)) => {
            let name = decode(name);
            let dir = state.iam.directory();
            let id = dir
                .accounts
                .values()
                .find(|a| a.account.name == name)
                .map(|a| a.account.id.clone())
                .ok_or_else(|| IamError::new(IamErrorCode::NoSuchEntity, format!("no account {name}")))?;
            Ok(Scope::Account { name, id })
        }
        _ => Err(IamError::new(IamErrorCode::InvalidInput, "a quota is set on bucket/NAME or account/NAME")),
    }
}
