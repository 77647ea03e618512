//! The POST policy of a browser form upload: its JSON document (`expiration`,
//! `conditions`) and the check of a form's fields against it, as the AWS documentation
//! ("POST Policy") describes. Pure: the caller supplies the fields, the bucket and the
//! time, and checks the file's size against [`Policy::length_range`] as it streams.

use std::time::SystemTime;

use serde_json::Value;

/// Why a form is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// The document is not a valid policy: InvalidPolicyDocument (400).
    Invalid(String),
    /// The form does not satisfy it: AccessDenied (403) "Invalid according to Policy: ...".
    Denied(String),
}

/// One condition.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// The field (lower case, without `$`) equals the value.
    Eq(String, String),
    /// The field starts with the prefix (`""`: anything).
    StartsWith(String, String),
    /// The file's size is within the range, inclusive.
    LengthRange(u64, u64),
}

/// A parsed POST policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    expiration: SystemTime,
    conditions: Vec<(Condition, String)>,
}

fn invalid(m: &str) -> PolicyError {
    PolicyError::Invalid(format!("Invalid Policy: {m}"))
}

/// Fields whose names the conditions need not list (AWS: the signature, the file, the
/// policy itself, and `x-ignore-*`), plus the SigV2 signature fields.
fn exempt(name: &str) -> bool {
    matches!(name, "x-amz-signature" | "file" | "policy" | "signature" | "awsaccesskeyid") || name.starts_with("x-ignore-")
}

impl Policy {
    /// Parses the base64 `policy` field.
    pub fn parse(base64_policy: &str) -> Result<Self, PolicyError> {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(base64_policy.trim().as_bytes())
            .map_err(|_| invalid("Invalid Base64 encoding."))?;
        let doc: Value = serde_json::from_slice(&raw).map_err(|_| invalid("Invalid JSON."))?;
        let doc = doc.as_object().ok_or_else(|| invalid("Invalid JSON."))?;
        let expiration = doc.get("expiration").ok_or_else(|| invalid("Policy missing expiration."))?;
        let expiration = expiration
            .as_str()
            .and_then(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
            .ok_or_else(|| invalid("Invalid 'expiration' value."))?;
        let expiration = SystemTime::from(expiration);
        let list = doc.get("conditions").ok_or_else(|| invalid("Policy missing conditions."))?;
        let list = list.as_array().ok_or_else(|| invalid("Invalid 'conditions' value."))?;
        let mut conditions = Vec::with_capacity(list.len());
        for c in list {
            conditions.push((parse_condition(c)?, c.to_string()));
        }
        Ok(Self { expiration, conditions })
    }

    /// Checks the form: the policy has not expired, every condition holds for the
    /// fields (names lower case; `bucket` is the bucket the form was posted to), and
    /// every field but the exempt ones is named by a condition.
    pub fn check(&self, fields: &[(String, String)], bucket: &str, now: SystemTime) -> Result<(), PolicyError> {
        if now > self.expiration {
            return Err(PolicyError::Denied("Invalid according to Policy: Policy expired.".into()));
        }
        let value = |name: &str| -> String {
            if name == "bucket" {
                return bucket.to_owned();
            }
            fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
        };
        for (condition, text) in &self.conditions {
            let holds = match condition {
                Condition::Eq(name, want) => value(name) == *want,
                // Content-Type may list several types, each of which must match.
                Condition::StartsWith(name, prefix) if name == "content-type" => {
                    value(name).split(',').all(|v| v.trim_start().starts_with(prefix.as_str()))
                }
                Condition::StartsWith(name, prefix) => value(name).starts_with(prefix.as_str()),
                Condition::LengthRange(..) => true,
            };
            if !holds {
                return Err(PolicyError::Denied(format!("Invalid according to Policy: Policy Condition failed: {text}")));
            }
        }
        let named =
            |name: &str| self.conditions.iter().any(|(c, _)| matches!(c, Condition::Eq(n, _) | Condition::StartsWith(n, _) if n == name));
        if let Some((extra, _)) = fields.iter().find(|(n, _)| !exempt(n) && !named(n)) {
            return Err(PolicyError::Denied(format!("Invalid according to Policy: Extra input fields: {extra}")));
        }
        Ok(())
    }

    /// The file size range the policy allows, if it sets one (the narrowest of several).
    pub fn length_range(&self) -> Option<(u64, u64)> {
        self.conditions
            .iter()
            .filter_map(|(c, _)| if let Condition::LengthRange(a, b) = c { Some((*a, *b)) } else { None })
            .reduce(|(a0, b0), (a1, b1)| (a0.max(a1), b0.min(b1)))
    }
}

fn field_name(v: &Value) -> Result<String, PolicyError> {
    let name = v.as_str().ok_or_else(|| invalid("Invalid Condition: a field name must be a string."))?;
    let name = name.strip_prefix('$').ok_or_else(|| invalid(&format!("Invalid Condition: field name '{name}' must start with '$'.")))?;
    Ok(name.to_ascii_lowercase())
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn parse_condition(c: &Value) -> Result<Condition, PolicyError> {
    if let Some(map) = c.as_object() {
        let mut entries = map.iter();
        return match (entries.next(), entries.next()) {
            (Some((name, value)), None) => {
                let value =
                    value.as_str().ok_or_else(|| invalid(&format!("Invalid Simple-Condition: value of '{name}' must be a string.")))?;
                Ok(Condition::Eq(name.to_ascii_lowercase(), value.to_owned()))
            }
            _ => Err(invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")),
        };
    }
    let items = c.as_array().ok_or_else(|| invalid("Invalid Condition: conditions must be objects or arrays."))?;
    let op = items.first().and_then(Value::as_str).map(str::to_ascii_lowercase).unwrap_or_default();
    if items.len() != 3 {
        return Err(invalid(&format!("Invalid Condition: wrong number of arguments in {c}.")));
    }
    match op.as_str() {
        "eq" | "starts-with" => {
            let name = field_name(&items[1])?;
            let value = items[2].as_str().ok_or_else(|| invalid(&format!("Invalid Condition: the value in {c} must be a string.")))?;
            // AWS: fields prefixed x-amz- other than x-amz-meta-* match exactly only.
            if op == "starts-with" && name.starts_with("x-amz-") && !name.starts_with("x-amz-meta-") {
                return Err(invalid(&format!("Invalid Condition: '{name}' supports exact matching only.")));
            }
            Ok(if op == "eq" { Condition::Eq(name, value.to_owned()) } else { Condition::StartsWith(name, value.to_owned()) })
        }
        "content-length-range" => match (number(&items[1]), number(&items[2])) {
            (Some(min), Some(max)) if min <= max => Ok(Condition::LengthRange(min, max)),
            _ => Err(invalid("Invalid 'content-length-range' condition.")),
        },
        _ => Err(invalid(&format!("Invalid Condition: unknown operation in {c}."))),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn policy(json: &str) -> Result<Policy, PolicyError> {
        Policy::parse(&base64::engine::general_purpose::STANDARD.encode(json))
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn at(iso: &str) -> SystemTime {
        time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339).unwrap().into()
    }

    // The example policy of the AWS documentation ("POST Policy").
    const DOC_EXAMPLE: &str = r#"{ "expiration": "2007-12-01T12:00:00.000Z",
      "conditions": [ {"acl": "public-read" }, {"bucket": "johnsmith" }, ["starts-with", "$key", "user/eric/"] ] }"#;

    #[test]
    fn the_documented_example() {
        let p = policy(DOC_EXAMPLE).unwrap();
        let before = at("2007-12-01T11:59:59Z");
        let good = fields(&[("key", "user/eric/photo.jpg"), ("acl", "public-read")]);
        assert_eq!(p.check(&good, "johnsmith", before), Ok(()));
        let denied = |f: &[(&str, &str)], bucket: &str, now| match p.check(&fields(f), bucket, now) {
            Err(PolicyError::Denied(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(
            denied(&[("key", "user/eric/a"), ("acl", "public-read")], "johnsmith", at("2007-12-01T12:00:01Z")).contains("Policy expired")
        );
        assert!(denied(&[("key", "user/bob/a"), ("acl", "public-read")], "johnsmith", before)
            .contains(r#"["starts-with","$key","user/eric/"]"#));
        assert!(denied(&[("key", "user/eric/a"), ("acl", "private")], "johnsmith", before).contains(r#"{"acl":"public-read"}"#));
        assert!(denied(&[("key", "user/eric/a"), ("acl", "public-read")], "other", before).contains("bucket"));
        assert!(denied(&[("key", "user/eric/a"), ("acl", "public-read"), ("x-amz-meta-a", "1")], "johnsmith", before)
            .contains("Extra input fields: x-amz-meta-a"));
        // Exempt fields need no condition.
        let exempt =
            fields(&[("key", "user/eric/a"), ("acl", "public-read"), ("x-amz-signature", "s"), ("x-ignore-me", "1"), ("policy", "p")]);
        assert_eq!(p.check(&exempt, "johnsmith", before), Ok(()));
        // A missing field is empty: starts-with "" holds, eq fails.
        assert!(p.check(&fields(&[("acl", "public-read")]), "johnsmith", before).is_err());
    }

    #[test]
    fn length_ranges_and_content_types() {
        let p = policy(
            r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",1,"100"],["content-length-range",10,1000],
            ["starts-with","$Content-Type","image/"],["eq","$key","k"]]}"#,
        )
        .unwrap();
        assert_eq!(p.length_range(), Some((10, 100)));
        let now = at("2029-01-01T00:00:00Z");
        assert_eq!(p.check(&fields(&[("key", "k"), ("content-type", "image/png, image/jpeg")]), "b", now), Ok(()));
        assert!(p.check(&fields(&[("key", "k"), ("content-type", "image/png, text/plain")]), "b", now).is_err());
    }

    #[test]
    fn invalid_documents() {
        let reason = |json: &str| match policy(json) {
            Err(PolicyError::Invalid(m)) => m,
            other => panic!("{json}: {other:?}"),
        };
        assert!(reason("not json").contains("Invalid JSON"));
        assert!(reason(r#"{"conditions":[]}"#).contains("missing expiration"));
        assert!(reason(r#"{"expiration":"2030-01-01T00:00:00Z"}"#).contains("missing conditions"));
        assert!(reason(r#"{"expiration":"tomorrow","conditions":[]}"#).contains("expiration"));
        assert!(reason(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["ends-with","$key","a"]]}"#).contains("unknown operation"));
        assert!(
            reason(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",5,1]]}"#).contains("content-length-range")
        );
        assert!(reason(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[{"a":"1","b":"2"}]}"#).contains("exactly one"));
        assert!(reason(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["starts-with","$x-amz-date",""]]}"#).contains("exact"));
        assert!(reason(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","key","a"]]}"#).contains('$'));
        assert!(matches!(Policy::parse("%%%"), Err(PolicyError::Invalid(_))));
    }
}
