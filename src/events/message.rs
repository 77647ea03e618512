//! The JSON message of an event, in Amazon S3's event message structure (`Records[]`,
//! eventVersion 2.1), so existing consumers work unchanged.

use serde_json::{json, Value};

use crate::model::event::OutboxEntry;

/// The region events are stamped with.
pub struct Origin<'a> {
    /// `awsRegion`.
    pub region: &'a str,
}

fn iso8601(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    format!("{}.{:03}Z", t.format(&fmt).unwrap_or_default(), ms.rem_euclid(1000))
}

/// Object keys are URL-encoded in event messages (as form values: space is `+`).
fn encode_key(key: &str) -> String {
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/').remove(b' ');
    percent_encoding::utf8_percent_encode(key, SET).to_string().replace(' ', "+")
}

/// The message body for one outbox entry.
pub fn render(entry: &OutboxEntry, origin: &Origin<'_>) -> Value {
    if entry.event_name == "s3:TestEvent" {
        return json!({
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": iso8601(entry.time_ms),
            "Bucket": entry.bucket,
            "RequestId": entry.cause.request_id,
            "HostId": "coffer",
        });
    }
    let mut object = json!({
        "key": encode_key(&entry.key),
        "size": entry.size,
        "eTag": entry.etag,
        "sequencer": format!("{:016X}", entry.sequencer),
    });
    if let Some(v) = &entry.version_id {
        object["versionId"] = json!(v);
    }
    // Background work (lifecycle) has no caller: it acts as the server.
    let principal = if entry.cause.principal.is_empty() { "coffer" } else { entry.cause.principal.as_str() };
    let event_name = entry.event_name.strip_prefix("s3:").unwrap_or(&entry.event_name);
    json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": origin.region,
            "eventTime": iso8601(entry.time_ms),
            "eventName": event_name,
            "userIdentity": { "principalId": principal },
            "requestParameters": { "sourceIPAddress": entry.cause.source_ip },
            "responseElements": { "x-amz-request-id": entry.cause.request_id, "x-amz-id-2": entry.cause.request_id },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": entry.config_id,
                "bucket": {
                    "name": entry.bucket,
                    "ownerIdentity": { "principalId": principal },
                    "arn": format!("arn:aws:s3:::{}", entry.bucket),
                },
                "object": object,
            },
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Cause, CauseKind};

    #[test]
    fn s3_shape() {
        let entry = OutboxEntry {
            arn: "arn:coffer:sqs::1:hook".into(),
            config_id: "cfg".into(),
            event_name: "s3:ObjectCreated:Put".into(),
            bucket: "b".into(),
            key: "a dir/ü.jpg".into(),
            size: 3,
            etag: "abc".into(),
            version_id: Some("v1".into()),
            sequencer: 255,
            time_ms: 1_255_369_830_123,
            cause: Cause { kind: CauseKind::Put, request_id: "RID".into(), source_ip: "127.0.0.1".into(), principal: "ak".into() },
        };
        let m = render(&entry, &Origin { region: "us-east-1" });
        let r = &m["Records"][0];
        assert_eq!(r["eventVersion"], "2.1");
        assert_eq!(r["eventName"], "ObjectCreated:Put");
        assert_eq!(r["eventTime"], "2009-10-12T17:50:30.123Z");
        assert_eq!(r["s3"]["object"]["key"], "a+dir/%C3%BC.jpg");
        assert_eq!(r["s3"]["object"]["sequencer"], "00000000000000FF");
        assert_eq!(r["s3"]["bucket"]["arn"], "arn:aws:s3:::b");
        assert_eq!(r["s3"]["configurationId"], "cfg");
        assert_eq!(r["responseElements"]["x-amz-request-id"], "RID");
    }
}
