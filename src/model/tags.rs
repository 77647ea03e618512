//! Object and bucket tags: S3's limits.

/// Most tags on an object.
pub const MAX_OBJECT_TAGS: usize = 10;
/// Most tags on a bucket.
pub const MAX_BUCKET_TAGS: usize = 50;

/// Checks a tag set against S3's rules; the error says which rule failed.
pub fn validate(tags: &[(String, String)], max: usize) -> Result<(), String> {
    if tags.len() > max {
        return Err(format!("Object tags cannot be greater than {max}"));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        let key_len = key.chars().count();
        if key_len == 0 || key_len > 128 {
            return Err("The TagKey you have provided is invalid".to_owned());
        }
        if value.chars().count() > 256 {
            return Err("The TagValue you have provided is invalid".to_owned());
        }
        if key.starts_with("aws:") {
            return Err("Your TagKey cannot be prefixed with aws:".to_owned());
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err("Cannot provide multiple Tags with the same key".to_owned());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn rules() {
        assert!(validate(&t(&[("a", ""), ("b", "x")]), 10).is_ok());
        assert!(validate(&t(&[("a", "1"), ("a", "2")]), 10).is_err());
        assert!(validate(&t(&[("", "1")]), 10).is_err());
        assert!(validate(&[("k".repeat(129), String::new())], 10).is_err());
        assert!(validate(&[("k".to_owned(), "v".repeat(257))], 10).is_err());
        assert!(validate(&t(&[("aws:x", "1")]), 10).is_err());
        let eleven: Vec<_> = (0..11).map(|i| (i.to_string(), String::new())).collect();
        assert!(validate(&eleven, 10).is_err());
        assert!(validate(&eleven, 50).is_ok());
    }
}
