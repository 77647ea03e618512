//! The AWS KMS JSON API (`X-Amz-Target: TrentService.<Operation>`) over [`LocalKms`]:
//! each operation's parameters, its IAM action and resource (`kms:Encrypt` on
//! `arn:aws:kms:REGION:ACCOUNT:key/ID`; `kms:CreateKey`, `kms:ListKeys`,
//! `kms:ListAliases` on `*`), and its JSON answer. Requests that ask for what coffer's
//! KMS does not have (key policies, tags, asymmetric or HMAC keys, imported material,
//! multi-Region keys) are refused with UnsupportedOperationException, never ignored.

use base64::Engine;
use serde_json::{json, Value};

use super::model::{KeyState, KmsKey};
use super::{EncryptionContext, KmsError, KmsErrorCode, KmsResult, LocalKms};
use crate::iam::policy::Context;
use crate::iam::Principal;

const B64: base64::engine::general_purpose::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn validation(message: impl Into<String>) -> KmsError {
    KmsError::new(KmsErrorCode::ValidationException, message)
}

fn unsupported(what: &str) -> KmsError {
    KmsError::new(KmsErrorCode::UnsupportedOperationException, format!("coffer's KMS does not support {what}; the request was refused."))
}

/// A request's parameters.
struct Params<'a>(&'a Value);

impl Params<'_> {
    fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    fn required(&self, name: &str) -> KmsResult<&str> {
        self.str(name).filter(|s| !s.is_empty()).ok_or_else(|| {
            validation(format!("1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"))
        })
    }

    fn u64(&self, name: &str) -> KmsResult<Option<u64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| validation(format!("{name} must be a non-negative integer"))),
        }
    }

    fn bytes(&self, name: &str) -> KmsResult<Vec<u8>> {
        B64.decode(self.required(name)?).map_err(|_| KmsError::new(KmsErrorCode::SerializationException, format!("{name} is not base64")))
    }

    fn context(&self) -> KmsResult<EncryptionContext> {
        match self.0.get("EncryptionContext") {
            None | Some(Value::Null) => Ok(EncryptionContext::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    v.as_str().map(|v| (k.clone(), v.to_owned())).ok_or_else(|| validation("EncryptionContext values must be strings"))
                })
                .collect(),
            Some(_) => Err(validation("EncryptionContext must be a map of strings")),
        }
    }
}

/// Runs one operation for `caller` and returns its JSON answer.
pub async fn run(kms: &LocalKms, caller: &Principal, base: Context, operation: &str, body: &Value) -> KmsResult<Value> {
    let p = Params(body);
    let account = caller.account.as_str();
    for (param, what) in [("DryRun", "dry runs"), ("Recipient", "Nitro Enclaves recipients"), ("GrantTokens", "grants")] {
        if body.get(param).is_some_and(|v| !v.is_null() && v != &json!(false) && v != &json!([])) {
            return Err(unsupported(what));
        }
    }
    let context = request_context(base, caller, &p)?;
    let allow = |action: &str, resource: &str| authorize(caller, &context, action, resource);
    match operation {
        "CreateKey" => {
            allow("kms:CreateKey", "*")?;
            for (param, what) in [
                ("Policy", "key policies"),
                ("Tags", "tags on keys"),
                ("CustomKeyStoreId", "custom key stores"),
                ("XksKeyId", "external key stores"),
            ] {
                if body.get(param).is_some_and(|v| !v.is_null()) {
                    return Err(unsupported(what));
                }
            }
            let fixed = [
                ("KeyUsage", "ENCRYPT_DECRYPT"),
                ("KeySpec", "SYMMETRIC_DEFAULT"),
                ("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"),
                ("Origin", "AWS_KMS"),
            ];
            if let Some((param, _)) = fixed.iter().find(|(param, only)| p.str(param).is_some_and(|v| v != *only)) {
                return Err(unsupported(&format!("{param} {}", p.str(param).unwrap_or_default())));
            }
            if body.get("MultiRegion").and_then(Value::as_bool) == Some(true) {
                return Err(unsupported("multi-Region keys"));
            }
            let description = p.str("Description").unwrap_or_default();
            if description.len() > 8192 {
                return Err(validation("Description must be at most 8192 characters"));
            }
            let key = kms.create_key(account, description).await?;
            Ok(json!({ "KeyMetadata": metadata(kms, account, &key) }))
        }
        "DescribeKey" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            allow("kms:DescribeKey", &kms.arn(account, &id))?;
            Ok(json!({ "KeyMetadata": metadata(kms, account, &kms.key(account, &id)?) }))
        }
        "ListKeys" => {
            allow("kms:ListKeys", "*")?;
            let record = kms.account(account);
            let ids: Vec<&String> = record.keys.values().filter(|k| !kms.is_deleted(k)).map(|k| &k.id).collect();
            let (page, next) = page(&ids, &p, 1000, 100)?;
            let keys: Vec<Value> = page.iter().map(|id| json!({ "KeyId": id, "KeyArn": kms.arn(account, id) })).collect();
            Ok(with_marker(json!({ "Keys": keys }), next))
        }
        "ListAliases" => {
            allow("kms:ListAliases", "*")?;
            let record = kms.account(account);
            let target = match p.str("KeyId") {
                Some(k) => Some(kms.resolve(account, k)?),
                None => None,
            };
            let live = |id: &String| record.keys.get(id).is_some_and(|k| !kms.is_deleted(k));
            let names: Vec<&String> =
                record.aliases.iter().filter(|(_, id)| live(id) && target.as_ref().is_none_or(|t| t == *id)).map(|(n, _)| n).collect();
            let (page, next) = page(&names, &p, 100, 50)?;
            let aliases: Vec<Value> = page
                .iter()
                .map(|name| json!({ "AliasName": name, "AliasArn": kms.alias_arn(account, name), "TargetKeyId": record.aliases[name.as_str()] }))
                .collect();
            Ok(with_marker(json!({ "Aliases": aliases }), next))
        }
        "CreateAlias" | "UpdateAlias" => {
            let name = p.required("AliasName")?;
            let id = kms.resolve(account, p.required("TargetKeyId")?)?;
            let action = if operation == "CreateAlias" { "kms:CreateAlias" } else { "kms:UpdateAlias" };
            allow(action, &kms.alias_arn(account, name))?;
            allow(action, &kms.arn(account, &id))?;
            if operation == "UpdateAlias" {
                // Re-pointing an alias needs the permission on the key it points to now,
                // too: whoever may use only their own key must not redirect another's alias.
                let current = kms.alias_target(account, name)?;
                allow(action, &kms.arn(account, &current))?;
                kms.set_alias(account, name, &id, Some(&current)).await?;
            } else {
                kms.set_alias(account, name, &id, None).await?;
            }
            Ok(json!({}))
        }
        "DeleteAlias" => {
            let name = p.required("AliasName")?;
            if name.starts_with("alias/aws/") {
                // As AWS: a managed key's alias stays (without it the key would lose its
                // protection from being disabled or deleted).
                return Err(KmsError::new(
                    KmsErrorCode::NotFoundException,
                    format!("Alias {name} is reserved for a managed key and cannot be deleted."),
                ));
            }
            allow("kms:DeleteAlias", &kms.alias_arn(account, name))?;
            let current = kms.alias_target(account, name)?;
            allow("kms:DeleteAlias", &kms.arn(account, &current))?;
            kms.delete_alias(account, name, &current).await?;
            Ok(json!({}))
        }
        "EnableKey" | "DisableKey" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            allow(&format!("kms:{operation}"), &kms.arn(account, &id))?;
            if operation == "DisableKey" {
                not_managed(kms, account, &id)?;
            }
            kms.set_enabled(account, &id, operation == "EnableKey").await?;
            Ok(json!({}))
        }
        "EnableKeyRotation" | "DisableKeyRotation" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            allow(&format!("kms:{operation}"), &kms.arn(account, &id))?;
            not_managed(kms, account, &id)?;
            let period = if operation == "EnableKeyRotation" {
                let days = p.u64("RotationPeriodInDays")?.unwrap_or(365);
                if !(90..=2560).contains(&days) {
                    return Err(validation("RotationPeriodInDays must be between 90 and 2560"));
                }
                Some(u32::try_from(days).unwrap_or(365))
            } else {
                None
            };
            kms.set_rotation(account, &id, period).await?;
            Ok(json!({}))
        }
        "GetKeyRotationStatus" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            let arn = kms.arn(account, &id);
            allow("kms:GetKeyRotationStatus", &arn)?;
            let key = kms.key(account, &id)?;
            let mut out = json!({ "KeyRotationEnabled": key.rotation.is_some(), "KeyId": arn });
            if let Some(r) = key.rotation {
                out["RotationPeriodInDays"] = json!(r.period_days);
                out["NextRotationDate"] = json!(seconds(r.next_ms));
            }
            Ok(out)
        }
        "RotateKeyOnDemand" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            let arn = kms.arn(account, &id);
            allow("kms:RotateKeyOnDemand", &arn)?;
            not_managed(kms, account, &id)?;
            kms.rotate(account, &id).await?;
            Ok(json!({ "KeyId": arn }))
        }
        "ScheduleKeyDeletion" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            let arn = kms.arn(account, &id);
            allow("kms:ScheduleKeyDeletion", &arn)?;
            not_managed(kms, account, &id)?;
            kms.check_not_protecting_locked_data(account, &id)?;
            let days = p.u64("PendingWindowInDays")?.unwrap_or(30);
            if !(7..=30).contains(&days) {
                return Err(validation("PendingWindowInDays must be between 7 and 30"));
            }
            let at = kms.schedule_deletion(account, &id, u32::try_from(days).unwrap_or(30)).await?;
            Ok(json!({ "KeyId": arn, "DeletionDate": seconds(at), "KeyState": "PendingDeletion", "PendingWindowInDays": days }))
        }
        "CancelKeyDeletion" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            let arn = kms.arn(account, &id);
            allow("kms:CancelKeyDeletion", &arn)?;
            kms.cancel_deletion(account, &id).await?;
            Ok(json!({ "KeyId": arn }))
        }
        "Encrypt" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            let arn = kms.arn(account, &id);
            allow("kms:Encrypt", &arn)?;
            symmetric_only(&p)?;
            let plaintext = p.bytes("Plaintext")?;
            if plaintext.is_empty() || plaintext.len() > 4096 {
                return Err(validation("Plaintext must be 1 to 4096 bytes"));
            }
            let blob = kms.encrypt(account, &id, &plaintext, &p.context()?).await?;
            Ok(json!({ "CiphertextBlob": B64.encode(blob), "KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT" }))
        }
        "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
            let id = kms.resolve(account, p.required("KeyId")?)?;
            let arn = kms.arn(account, &id);
            allow(&format!("kms:{operation}"), &arn)?;
            let bytes = match (p.str("KeySpec"), p.u64("NumberOfBytes")?) {
                (Some(_), Some(_)) => return Err(validation("Specify either KeySpec or NumberOfBytes, not both")),
                (Some("AES_256"), None) => 32,
                (Some("AES_128"), None) => 16,
                (Some(other), None) => return Err(validation(format!("KeySpec {other} is not AES_256 or AES_128"))),
                (None, Some(n)) if (1..=1024).contains(&n) => usize::try_from(n).unwrap_or(32),
                (None, Some(_)) => return Err(validation("NumberOfBytes must be between 1 and 1024")),
                (None, None) => return Err(validation("Specify KeySpec or NumberOfBytes")),
            };
            let mut plain = vec![0u8; bytes];
            crate::iam::secrets::fill_random(&mut plain);
            let blob = kms.encrypt(account, &id, &plain, &p.context()?).await?;
            let mut out = json!({ "CiphertextBlob": B64.encode(blob), "KeyId": arn });
            if operation == "GenerateDataKey" {
                out["Plaintext"] = json!(B64.encode(&plain));
            }
            Ok(out)
        }
        "Decrypt" => {
            symmetric_only(&p)?;
            let blob = p.bytes("CiphertextBlob")?;
            let (owner, id) = LocalKms::blob_key(&blob)?;
            if owner != account {
                // Another account's key is not usable here (no key policies); one answer
                // whether or not such a key exists.
                return Err(KmsError::new(KmsErrorCode::AccessDeniedException, "The ciphertext's key belongs to another account."));
            }
            if let Some(named) = p.str("KeyId") {
                if kms.resolve(account, named)? != id {
                    return Err(KmsError::new(
                        KmsErrorCode::IncorrectKeyException,
                        "The key ID in the request does not identify the key that encrypted the ciphertext.",
                    ));
                }
            }
            allow("kms:Decrypt", &kms.arn(account, &id))?;
            let (plain, arn) = kms.open_blob(&blob, &p.context()?)?;
            Ok(json!({ "Plaintext": B64.encode(plain), "KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT" }))
        }
        other => Err(KmsError::new(KmsErrorCode::UnsupportedOperationException, format!("coffer's KMS does not implement {other}."))),
    }
}

/// The condition keys of a KMS request: `base` (the request's global keys: source IP,
/// secure transport, time, user agent), the caller's, and the KMS keys coffer knows:
/// `kms:EncryptionContext:<key>`, `kms:EncryptionContextKeys`, `kms:CallerAccount`,
/// `kms:RequestAlias` (when the request names a key by alias),
/// `kms:EncryptionAlgorithm`.
fn request_context(mut ctx: Context, caller: &Principal, p: &Params<'_>) -> KmsResult<Context> {
    caller.fill_full_context(&mut ctx);
    ctx.insert("kms:CallerAccount", caller.account.clone());
    for (k, v) in p.context()? {
        ctx.insert(&format!("kms:EncryptionContext:{k}"), v);
        ctx.insert("kms:EncryptionContextKeys", k);
    }
    for param in ["KeyId", "TargetKeyId"] {
        if let Some(alias) = p.str(param).and_then(|k| k.find("alias/").map(|at| &k[at..])) {
            ctx.insert("kms:RequestAlias", alias);
        }
    }
    if let Some(algorithm) = p.str("EncryptionAlgorithm") {
        ctx.insert("kms:EncryptionAlgorithm", algorithm);
    }
    Ok(ctx)
}

/// Refuses changing the state of a key coffer manages for a service (`alias/aws/s3`,
/// which SSE-KMS uses by default), as AWS refuses it for AWS managed keys: disabling or
/// deleting it would make every object under it unreadable.
fn not_managed(kms: &LocalKms, account: &str, id: &str) -> KmsResult<()> {
    if kms.account(account).aliases.iter().any(|(name, target)| name.starts_with("alias/aws/") && target == id) {
        return Err(KmsError::new(
            KmsErrorCode::UnsupportedOperationException,
            format!("{} is a managed key (alias/aws/...): its state cannot be changed.", kms.arn(account, id)),
        ));
    }
    Ok(())
}

/// The identity policies (and, for an account root, its own account) decide; coffer has
/// no key policies, so another account's key is never usable.
fn authorize(caller: &Principal, ctx: &Context, action: &str, resource: &str) -> KmsResult<()> {
    let owner = resource.split(':').nth(4).filter(|a| !a.is_empty());
    if caller.is_allowed(action, resource, owner, ctx, None) {
        Ok(())
    } else {
        Err(KmsError::new(
            KmsErrorCode::AccessDeniedException,
            format!("User: {} is not authorized to perform: {action} on resource: {resource}", caller.arn),
        ))
    }
}

fn symmetric_only(p: &Params<'_>) -> KmsResult<()> {
    match p.str("EncryptionAlgorithm") {
        None | Some("SYMMETRIC_DEFAULT") => Ok(()),
        Some(other) => Err(unsupported(&format!("EncryptionAlgorithm {other}"))),
    }
}

/// Epoch seconds, as the JSON protocol writes timestamps.
fn seconds(ms: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let s = ms as f64 / 1000.0;
    s
}

/// A page of `items` by `Limit` (1–`max`, default `default`) and `Marker` (the index
/// to start at, as this server issues it).
fn page<'a, T>(items: &'a [T], p: &Params<'_>, max: u64, default: u64) -> KmsResult<(&'a [T], Option<String>)> {
    let limit = p.u64("Limit")?.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(validation(format!("Limit must be between 1 and {max}")));
    }
    let limit = usize::try_from(limit).unwrap_or(1);
    let start = match p.str("Marker") {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|s| *s <= items.len())
            .ok_or_else(|| KmsError::new(KmsErrorCode::InvalidMarkerException, "The marker is not valid."))?,
    };
    let end = (start + limit).min(items.len());
    Ok((&items[start..end], (end < items.len()).then(|| end.to_string())))
}

fn with_marker(mut out: Value, next: Option<String>) -> Value {
    out["Truncated"] = json!(next.is_some());
    if let Some(m) = next {
        out["NextMarker"] = json!(m);
    }
    out
}

/// KeyMetadata as DescribeKey and CreateKey answer it.
fn metadata(kms: &LocalKms, account: &str, key: &KmsKey) -> Value {
    let mut m = json!({
        "AWSAccountId": account,
        "KeyId": key.id,
        "Arn": kms.arn(account, &key.id),
        "CreationDate": seconds(key.created_ms),
        "Enabled": key.state == KeyState::Enabled,
        "Description": key.description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": key.state.as_str(),
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": false,
    });
    if let Some(at) = key.deletion_ms {
        m["DeletionDate"] = json!(seconds(at));
    }
    m
}
