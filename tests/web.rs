//! The web side of S3: POST Object (browser form uploads with signed policies), CORS
//! (configuration, preflight, headers on responses) and the static website endpoint,
//! through `aws-sdk-s3` where an SDK can say it and raw HTTP for what browsers send.
//! The real-browser test is `tests/interop/browser.sh`.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CorsConfiguration, CorsRule, ErrorDocument, IndexDocument, Redirect, RedirectAllRequestsTo, RoutingRule, WebsiteConfiguration,
};
use base64::Engine as _;
use coffer::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use common::raw::{Request, Response};
use common::{error_info, TestServer};

const REGION: &str = "us-east-1";

fn amz_date(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
}

fn iso(t: SystemTime) -> String {
    time::OffsetDateTime::from(t).format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// A browser form: fields in order, then the file.
struct Form {
    fields: Vec<(String, String)>,
    filename: String,
    file: Vec<u8>,
}

impl Form {
    /// A form whose policy (`conditions`, expiring in an hour) is signed with SigV4 by
    /// the default credentials, with `fields` and the signature fields.
    fn signed(bucket: &str, fields: &[(&str, &str)], conditions: serde_json::Value, file: &[u8]) -> Self {
        Self::signed_at(bucket, fields, conditions, file, SystemTime::now() + Duration::from_secs(3600), DEFAULT_SECRET_KEY)
    }

    fn signed_at(
        bucket: &str,
        fields: &[(&str, &str)],
        conditions: serde_json::Value,
        file: &[u8],
        expires: SystemTime,
        secret: &str,
    ) -> Self {
        let now = SystemTime::now();
        let date = amz_date(now);
        let credential = format!("{DEFAULT_ACCESS_KEY}/{}/{REGION}/s3/aws4_request", &date[..8]);
        let serde_json::Value::Array(mut conditions) = conditions else { panic!("conditions are a JSON array") };
        conditions.push(serde_json::json!({ "bucket": bucket }));
        conditions.push(serde_json::json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }));
        conditions.push(serde_json::json!({ "x-amz-credential": credential }));
        conditions.push(serde_json::json!({ "x-amz-date": date }));
        let policy = serde_json::json!({ "expiration": iso(expires), "conditions": conditions }).to_string();
        let policy = base64::engine::general_purpose::STANDARD.encode(policy);
        let key = aws_sigv4::sign::v4::generate_signing_key(secret, now, REGION, "s3");
        let signature = aws_sigv4::sign::v4::calculate_signature(key.as_ref(), policy.as_bytes());
        let mut all: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        for (k, v) in [
            ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_owned()),
            ("x-amz-credential", credential),
            ("x-amz-date", date),
            ("policy", policy),
            ("x-amz-signature", signature),
        ] {
            all.push((k.to_owned(), v));
        }
        Self { fields: all, filename: "photo.txt".into(), file: file.to_vec() }
    }

    /// An unsigned form (anonymous).
    fn anonymous(fields: &[(&str, &str)], file: &[u8]) -> Self {
        Self {
            fields: fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            filename: "a.txt".into(),
            file: file.to_vec(),
        }
    }

    fn body(&self, boundary: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in &self.fields {
            out.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/x-ignored\r\n\r\n",
                self.filename
            )
            .as_bytes(),
        );
        out.extend_from_slice(&self.file);
        out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        out
    }

    async fn post(&self, server: &TestServer, bucket: &str) -> Response {
        let boundary = "----coffer-test-boundary-7MA4YWxk";
        Request::new("POST", &format!("/{bucket}"))
            .header("content-type", &format!("multipart/form-data; boundary={boundary}"))
            .body(self.body(boundary))
            .send(&server.host())
            .await
    }
}

async fn bucket(server: &TestServer, name: &str) -> aws_sdk_s3::Client {
    let s3 = server.client();
    s3.create_bucket().bucket(name).send().await.unwrap();
    s3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_form_uploads_with_its_fields_and_answers_as_asked() {
    let server = TestServer::start().await;
    let s3 = bucket(&server, "forms").await;
    let conditions = serde_json::json!([
        ["starts-with", "$key", "user/"],
        {"success_action_status": "201"},
        ["starts-with", "$Content-Type", "text/"],
        ["starts-with", "$x-amz-meta-note", ""],
        {"tagging": "<Tagging><TagSet><Tag><Key>t</Key><Value>v w</Value></Tag></TagSet></Tagging>"},
        ["content-length-range", 1, 1000],
    ]);
    let fields = [
        ("key", "user/${filename}"),
        ("success_action_status", "201"),
        ("Content-Type", "text/plain"),
        ("x-amz-meta-note", "from a form, café"),
        ("tagging", "<Tagging><TagSet><Tag><Key>t</Key><Value>v w</Value></Tag></TagSet></Tagging>"),
    ];
    let r = Form::signed("forms", &fields, conditions, b"hello form").post(&server, "forms").await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.xml("Key").as_deref(), Some("user/photo.txt"));
    assert_eq!(r.xml("Bucket").as_deref(), Some("forms"));
    assert!(r.xml("Location").unwrap().ends_with("/forms/user/photo.txt"));
    let etag = r.header("etag").unwrap().to_owned();
    let got = s3.get_object().bucket("forms").key("user/photo.txt").send().await.unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_type(), Some("text/plain"), "the form field, not the file part's type");
    // UTF-8 metadata is kept, and returned RFC 2047-encoded as S3 returns it.
    let note = got.metadata().unwrap().get("note").cloned().unwrap_or_default();
    let b64 = note.strip_prefix("=?UTF-8?B?").and_then(|n| n.strip_suffix("?=")).unwrap_or_else(|| panic!("{note}"));
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(b64).unwrap(), "from a form, café".as_bytes());
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello form");
    let tags = s3.get_object_tagging().bucket("forms").key("user/photo.txt").send().await.unwrap();
    assert_eq!(tags.tag_set()[0].value(), "v w");

    // Default answer: 204; a redirect: 303 to it with bucket, key and ETag.
    let r = Form::signed("forms", &[("key", "k204")], serde_json::json!([{"key": "k204"}]), b"x").post(&server, "forms").await;
    assert_eq!(r.status, 204, "{}", r.text());
    let fields = [("key", "k303"), ("success_action_redirect", "http://app.test/done?x=1")];
    let conditions = serde_json::json!([{"key": "k303"}, ["starts-with", "$success_action_redirect", "http://app.test/"]]);
    let r = Form::signed("forms", &fields, conditions, b"y").post(&server, "forms").await;
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap();
    assert!(location.starts_with("http://app.test/done?x=1&bucket=forms&key=k303&etag=%22"), "{location}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_the_policy_refuses_leave_nothing() {
    let server = TestServer::start().await;
    let s3 = bucket(&server, "strict").await;
    let base = serde_json::json!([["starts-with", "$key", "in/"], ["content-length-range", 2, 10]]);
    let refused = |r: &Response, status: u16, code: &str, message: &str| {
        r.assert_error(status, code);
        let m = r.xml("Message").unwrap_or_default();
        assert!(m.contains(message), "{m}");
    };
    let r = Form::signed("strict", &[("key", "out/a")], base.clone(), b"abc").post(&server, "strict").await;
    refused(&r, 403, "AccessDenied", "Invalid according to Policy: Policy Condition failed: [&quot;starts-with&quot;,&quot;$key&quot;");
    let r = Form::signed("strict", &[("key", "in/a"), ("acl", "public-read")], base.clone(), b"abc").post(&server, "strict").await;
    refused(&r, 403, "AccessDenied", "Extra input fields: acl");
    let r = Form::signed("strict", &[("key", "in/a")], base.clone(), &[7u8; 11]).post(&server, "strict").await;
    refused(&r, 400, "EntityTooLarge", "exceeds");
    // Far larger than allowed: the rest of the upload is read and dropped, and the
    // browser gets the answer rather than a reset connection.
    let r = Form::signed("strict", &[("key", "in/a")], base.clone(), &vec![7u8; 8 << 20]).post(&server, "strict").await;
    refused(&r, 400, "EntityTooLarge", "exceeds");
    let r = Form::signed("strict", &[("key", "in/a")], base.clone(), b"a").post(&server, "strict").await;
    refused(&r, 400, "EntityTooSmall", "smaller");
    let past = SystemTime::now() - Duration::from_secs(60);
    let r = Form::signed_at("strict", &[("key", "in/a")], base.clone(), b"abc", past, DEFAULT_SECRET_KEY).post(&server, "strict").await;
    refused(&r, 403, "AccessDenied", "Policy expired");
    let later = SystemTime::now() + Duration::from_secs(60);
    let r = Form::signed_at("strict", &[("key", "in/a")], base.clone(), b"abc", later, "not-the-secret").post(&server, "strict").await;
    r.assert_error(403, "SignatureDoesNotMatch");
    // The policy is for another bucket.
    s3.create_bucket().bucket("other").send().await.unwrap();
    let r = Form::signed("strict", &[("key", "in/a")], base.clone(), b"abc").post(&server, "other").await;
    refused(&r, 403, "AccessDenied", "bucket");
    let mut form = Form::signed("strict", &[("key", "in/a")], base.clone(), b"abc");
    form.fields.retain(|(k, _)| k != "key");
    form.post(&server, "strict").await.assert_error(400, "InvalidArgument");
    // A policy that is not JSON, correctly signed.
    let mut form = Form::signed("strict", &[("key", "in/a")], base.clone(), b"abc");
    let bad = base64::engine::general_purpose::STANDARD.encode("{not json");
    let signing = aws_sigv4::sign::v4::generate_signing_key(DEFAULT_SECRET_KEY, SystemTime::now(), REGION, "s3");
    let signature = aws_sigv4::sign::v4::calculate_signature(signing.as_ref(), bad.as_bytes());
    for (k, v) in &mut form.fields {
        match k.as_str() {
            "policy" => v.clone_from(&bad),
            "x-amz-signature" => v.clone_from(&signature),
            _ => {}
        }
    }
    form.post(&server, "strict").await.assert_error(400, "InvalidPolicyDocument");
    // Not a form at all; a form cut off inside the file.
    let r = Request::new("POST", "/strict").header("content-type", "text/plain").body("x").send(&server.host()).await;
    r.assert_error(412, "PreconditionFailed");
    let whole = Form::signed("strict", &[("key", "in/cut")], base.clone(), b"abcdef").body("B0undary");
    let cut = &whole[..whole.len() - 20];
    let r = Request::new("POST", "/strict")
        .header("content-type", "multipart/form-data; boundary=B0undary")
        .body(cut.to_vec())
        .send(&server.host())
        .await;
    r.assert_error(400, "MalformedPOSTRequest");
    let listed = s3.list_objects_v2().bucket("strict").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0), "no refused form left an object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_forms_need_a_bucket_policy_that_lets_anyone_put() {
    let server = TestServer::start().await;
    let s3 = bucket(&server, "dropbox").await;
    let r = Form::anonymous(&[("key", "anon.txt")], b"hi").post(&server, "dropbox").await;
    r.assert_error(403, "AccessDenied");
    s3.delete_public_access_block().bucket("dropbox").send().await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::dropbox/incoming/*"}]}"#;
    s3.put_bucket_policy().bucket("dropbox").policy(policy).send().await.unwrap();
    let r = Form::anonymous(&[("key", "incoming/anon.txt")], b"hi").post(&server, "dropbox").await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = Form::anonymous(&[("key", "elsewhere.txt")], b"hi").post(&server, "dropbox").await;
    r.assert_error(403, "AccessDenied");
    // Conditions on the browser's request apply to its form: aws:Referer here.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::dropbox/site/*","Condition":{"StringLike":{"aws:Referer":"https://app.test/*"}}}]}"#;
    s3.put_bucket_policy().bucket("dropbox").policy(policy).send().await.unwrap();
    let boundary = "b0und";
    let form = Form::anonymous(&[("key", "site/r.txt")], b"r").body(boundary);
    let post = |referer: Option<&str>| {
        let mut r = Request::new("POST", "/dropbox").header("content-type", &format!("multipart/form-data; boundary={boundary}"));
        if let Some(v) = referer {
            r = r.header("referer", v);
        }
        r.body(form.clone())
    };
    assert_eq!(post(Some("https://app.test/upload")).send(&server.host()).await.status, 204);
    post(None).send(&server.host()).await.assert_error(403, "AccessDenied");
    // The URL's query does not speak for the form.
    let r = Request::new("POST", "/dropbox?versionId=x&X-Amz-Date=20300101T000000Z")
        .header("content-type", &format!("multipart/form-data; boundary={boundary}"))
        .header("referer", "https://app.test/upload")
        .body(form.clone())
        .send(&server.host())
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    // A form that asks for an ACL needs s3:PutObjectAcl too, which the policy does not give.
    let r = Form::anonymous(&[("key", "incoming/acl.txt"), ("acl", "public-read")], b"hi").post(&server, "dropbox").await;
    assert_eq!(r.status / 100, 4, "{}", r.text());
    let got = s3.get_object().bucket("dropbox").key("incoming/anon.txt").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hi");
}

fn rule(origins: &[&str], methods: &[&str]) -> CorsRule {
    let mut b = CorsRule::builder().allowed_headers("*").expose_headers("ETag").expose_headers("x-amz-meta-note").max_age_seconds(60);
    for o in origins {
        b = b.allowed_origins(*o);
    }
    for m in methods {
        b = b.allowed_methods(*m);
    }
    b.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_rules_answer_preflights_and_decorate_responses() {
    let server = TestServer::start().await;
    let s3 = bucket(&server, "app").await;
    let none = s3.get_bucket_cors().bucket("app").send().await.unwrap_err();
    assert_eq!(error_info(&none).code.as_deref(), Some("NoSuchCORSConfiguration"));
    let preflight = |origin: Option<&str>, method: &str, headers: Option<&str>| {
        let mut r = Request::new("OPTIONS", "/app/obj").header("access-control-request-method", method);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(h) = headers {
            r = r.header("access-control-request-headers", h);
        }
        let host = server.host();
        async move { r.send(&host).await }
    };
    preflight(Some("https://app.test"), "GET", None).await.assert_error(403, "AccessForbidden");

    let config = CorsConfiguration::builder()
        .cors_rules(rule(&["https://app.test", "https://*.app.test"], &["GET", "PUT"]))
        .cors_rules(CorsRule::builder().allowed_origins("*").allowed_methods("GET").build().unwrap())
        .build()
        .unwrap();
    s3.put_bucket_cors().bucket("app").cors_configuration(config).send().await.unwrap();
    let got = s3.get_bucket_cors().bucket("app").send().await.unwrap();
    assert_eq!(got.cors_rules().len(), 2);
    assert_eq!(got.cors_rules()[0].allowed_origins(), ["https://app.test", "https://*.app.test"]);
    assert_eq!(got.cors_rules()[0].max_age_seconds(), Some(60));

    let r = preflight(Some("https://x.app.test"), "PUT", Some("content-type, x-amz-date")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("https://x.app.test"));
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, PUT"));
    assert_eq!(r.header("access-control-allow-headers"), Some("content-type, x-amz-date"));
    assert_eq!(r.header("access-control-max-age"), Some("60"));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert!(r.header("vary").unwrap().contains("Origin"));
    // The second rule lets anyone GET, without request headers.
    let r = preflight(Some("https://evil.test"), "GET", None).await;
    assert_eq!((r.status, r.header("access-control-allow-origin")), (200, Some("*")));
    preflight(Some("https://evil.test"), "PUT", None).await.assert_error(403, "AccessForbidden");
    preflight(Some("https://evil.test"), "GET", Some("x-custom")).await.assert_error(403, "AccessForbidden");
    preflight(None, "GET", None).await.assert_error(400, "BadRequest");
    // A browser sends the preflight to the URL of the request it prepares: a presigned
    // URL's parameters sign that request, not the preflight, which needs no signature.
    let presigned = common::raw::Signer::default().presign(&server.host(), "PUT", "/app/obj", Duration::from_secs(60));
    let r = Request::new("OPTIONS", &presigned)
        .header("origin", "https://app.test")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type")
        .send(&server.host())
        .await;
    assert_eq!((r.status, r.header("access-control-allow-origin")), (200, Some("https://app.test")), "{}", r.text());

    // Actual requests: headers on success and on errors, for an allowed origin only.
    s3.put_object().bucket("app").key("obj").body(ByteStream::from_static(b"data")).send().await.unwrap();
    let get = |origin: &'static str, key: &'static str| {
        let host = server.host();
        async move { Request::new("GET", &format!("/app/{key}")).header("origin", origin).signed(&host).send(&host).await }
    };
    let r = get("https://app.test", "obj").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.test"));
    assert_eq!(r.header("access-control-expose-headers"), Some("ETag, x-amz-meta-note"));
    let r = get("https://app.test", "missing").await;
    assert_eq!((r.status, r.header("access-control-allow-origin")), (404, Some("https://app.test")));
    let r = get("https://evil.test", "obj").await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "the any-origin GET rule");
    let r = Request::new("GET", "/app/obj").signed(&server.host()).send(&server.host()).await;
    assert_eq!(r.header("access-control-allow-origin"), None, "no Origin, no CORS headers");

    // Refusals as S3.
    let bad = CorsConfiguration::builder().cors_rules(rule(&["*"], &["PATCH"])).build().unwrap();
    let e = s3.put_bucket_cors().bucket("app").cors_configuration(bad).send().await.unwrap_err();
    assert_eq!(error_info(&e).code.as_deref(), Some("InvalidRequest"));
    let bad = CorsConfiguration::builder().cors_rules(rule(&["https://*.*.test"], &["GET"])).build().unwrap();
    let e = s3.put_bucket_cors().bucket("app").cors_configuration(bad).send().await.unwrap_err();
    assert_eq!(error_info(&e).code.as_deref(), Some("InvalidRequest"));
    s3.delete_bucket_cors().bucket("app").send().await.unwrap();
    preflight(Some("https://app.test"), "GET", None).await.assert_error(403, "AccessForbidden");
    let r = get("https://app.test", "obj").await;
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_default_rule_serves_buckets_without_rules() {
    let server = TestServer::start_with(&[("cors.default_allowed_origins", "https://console.test")]).await;
    let s3 = bucket(&server, "plain").await;
    s3.put_object().bucket("plain").key("k").body(ByteStream::from_static(b"1")).send().await.unwrap();
    let r = Request::new("OPTIONS", "/plain/k")
        .header("origin", "https://console.test")
        .header("access-control-request-method", "DELETE")
        .header("access-control-request-headers", "authorization, x-amz-date")
        .send(&server.host())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("https://console.test"));
    let r = Request::new("OPTIONS", "/plain/k")
        .header("origin", "https://other.test")
        .header("access-control-request-method", "GET")
        .send(&server.host())
        .await;
    r.assert_error(403, "AccessForbidden");
    // A bucket's own rules replace the default.
    let config = CorsConfiguration::builder().cors_rules(rule(&["https://mine.test"], &["GET"])).build().unwrap();
    s3.put_bucket_cors().bucket("plain").cors_configuration(config).send().await.unwrap();
    let r = Request::new("OPTIONS", "/plain/k")
        .header("origin", "https://console.test")
        .header("access-control-request-method", "GET")
        .send(&server.host())
        .await;
    r.assert_error(403, "AccessForbidden");
}

const WEBSITE_DOMAIN: &str = "website.test";

async fn site(server: &TestServer, name: &str, public: bool) -> aws_sdk_s3::Client {
    let s3 = bucket(server, name).await;
    for (key, body) in [
        ("index.html", "<h1>Home</h1>"),
        ("dir/index.html", "<h1>Nested</h1>"),
        ("404.html", "<h1>Custom not found</h1>"),
        ("new/page.html", "<h1>New page</h1>"),
    ] {
        s3.put_object()
            .bucket(name)
            .key(key)
            .content_type("text/html")
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .unwrap();
    }
    if public {
        s3.delete_public_access_block().bucket(name).send().await.unwrap();
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{name}/*"}}]}}"#
        );
        s3.put_bucket_policy().bucket(name).policy(policy).send().await.unwrap();
    }
    let config = WebsiteConfiguration::builder()
        .index_document(IndexDocument::builder().suffix("index.html").build().unwrap())
        .error_document(ErrorDocument::builder().key("404.html").build().unwrap())
        .routing_rules(
            RoutingRule::builder()
                .condition(aws_sdk_s3::types::Condition::builder().key_prefix_equals("old/").build())
                .redirect(Redirect::builder().replace_key_prefix_with("new/").build())
                .build(),
        )
        .build();
    s3.put_bucket_website().bucket(name).website_configuration(config).send().await.unwrap();
    s3
}

async fn web_get(server: &TestServer, host: &str, path: &str) -> Response {
    Request::new("GET", path).header("host", host).send(&server.host()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_bucket_is_served_as_a_website() {
    let server = TestServer::start_with(&[("server.website_domain", WEBSITE_DOMAIN)]).await;
    let s3 = site(&server, "site", true).await;
    let got = s3.get_bucket_website().bucket("site").send().await.unwrap();
    assert_eq!(got.index_document().unwrap().suffix(), "index.html");
    assert_eq!(got.error_document().unwrap().key(), "404.html");
    assert_eq!(got.routing_rules().len(), 1);

    let host = "site.website.test";
    let r = web_get(&server, host, "/").await;
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>Home</h1>"));
    assert_eq!(r.header("content-type"), Some("text/html"));
    let r = web_get(&server, host, "/dir/").await;
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>Nested</h1>"));
    let r = web_get(&server, &format!("{host}:8080"), "/dir").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/dir/")));
    let r = web_get(&server, host, "/missing.html").await;
    assert_eq!((r.status, r.text().as_str()), (404, "<h1>Custom not found</h1>"));
    let r = web_get(&server, host, "/old/page.html").await;
    assert_eq!((r.status, r.header("location")), (301, Some("http://site.website.test/new/page.html")));
    // Per-object redirects: stored, returned on HEAD, honoured by the website endpoint.
    s3.put_object()
        .bucket("site")
        .key("moved.html")
        .website_redirect_location("/new/page.html")
        .body(ByteStream::from_static(b"old"))
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("site").key("moved.html").send().await.unwrap();
    assert_eq!(head.website_redirect_location(), Some("/new/page.html"));
    let r = web_get(&server, host, "/moved.html").await;
    assert_eq!((r.status, r.header("location")), (301, Some("/new/page.html")));
    for bad in ["ftp://x", "//evil.test/", "/\\evil.test"] {
        let e = s3.put_object().bucket("site").key("bad").website_redirect_location(bad).body(ByteStream::from_static(b"x")).send().await;
        assert_eq!(error_info(&e.unwrap_err()).code.as_deref(), Some("InvalidRedirectLocation"), "{bad}");
    }
    // A range on a redirecting object changes nothing: the redirect is its metadata.
    let r = Request::new("GET", "/moved.html").header("host", host).header("range", "bytes=10-").send(&server.host()).await;
    assert_eq!((r.status, r.header("location")), (301, Some("/new/page.html")));
    let r = Request::new("HEAD", "/").header("host", host).send(&server.host()).await;
    assert_eq!(r.status, 200);
    let r = Request::new("PUT", "/x").header("host", host).body("x").send(&server.host()).await;
    assert_eq!(r.status, 405);
    assert!(r.text().contains("<li>Code: MethodNotAllowed</li>"), "{}", r.text());
    // Never a listing: a bucket without an index answers 404, not keys.
    s3.delete_object().bucket("site").key("index.html").send().await.unwrap();
    let r = web_get(&server, host, "/").await;
    assert_eq!((r.status, r.text().as_str()), (404, "<h1>Custom not found</h1>"));
    s3.delete_object().bucket("site").key("404.html").send().await.unwrap();
    let r = web_get(&server, host, "/").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains("<li>Code: NoSuchKey</li>"), "{}", r.text());

    // Unknown buckets and buckets without a website configuration.
    let r = web_get(&server, "nobucket.website.test", "/").await;
    assert!(r.status == 404 && r.text().contains("NoSuchBucket"), "{}", r.text());
    s3.delete_bucket_website().bucket("site").send().await.unwrap();
    let r = web_get(&server, host, "/").await;
    assert!(r.status == 404 && r.text().contains("NoSuchWebsiteConfiguration"), "{}", r.text());
    let e = s3.get_bucket_website().bucket("site").send().await.unwrap_err();
    assert_eq!(error_info(&e).code.as_deref(), Some("NoSuchWebsiteConfiguration"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_bucket_website_serves_nothing_but_its_refusal() {
    let server = TestServer::start_with(&[("server.website_domain", WEBSITE_DOMAIN)]).await;
    site(&server, "private", false).await;
    let r = web_get(&server, "private.website.test", "/").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(!r.text().contains("Home") && !r.text().contains("Custom not found"), "{}", r.text());
    // Credentials do not open the website endpoint: it is anonymous only.
    let r = Request::new("GET", "/").header("host", "private.website.test").signed(&server.host()).send(&server.host()).await;
    assert_eq!(r.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_all_requests_and_invalid_configurations() {
    let server = TestServer::start_with(&[("server.website_domain", WEBSITE_DOMAIN)]).await;
    let s3 = bucket(&server, "moved").await;
    let config = WebsiteConfiguration::builder()
        .redirect_all_requests_to(RedirectAllRequestsTo::builder().host_name("example.com").protocol("https".into()).build().unwrap())
        .build();
    s3.put_bucket_website().bucket("moved").website_configuration(config).send().await.unwrap();
    let r = web_get(&server, "moved.website.test", "/a/b.html").await;
    assert_eq!((r.status, r.header("location")), (301, Some("https://example.com/a/b.html")));
    let both = WebsiteConfiguration::builder()
        .redirect_all_requests_to(RedirectAllRequestsTo::builder().host_name("example.com").build().unwrap())
        .index_document(IndexDocument::builder().suffix("index.html").build().unwrap())
        .build();
    let e = s3.put_bucket_website().bucket("moved").website_configuration(both).send().await.unwrap_err();
    assert_eq!(error_info(&e).code.as_deref(), Some("InvalidArgument"));
    let slash = WebsiteConfiguration::builder().index_document(IndexDocument::builder().suffix("a/b").build().unwrap()).build();
    let e = s3.put_bucket_website().bucket("moved").website_configuration(slash).send().await.unwrap_err();
    assert_eq!(error_info(&e).code.as_deref(), Some("InvalidArgument"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_website_listener_serves_websites_only() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let server = TestServer::start_with(&[("server.website_domain", WEBSITE_DOMAIN), ("website.listen", &listen)]).await;
    site(&server, "www.example.org", true).await;
    let mut r = None;
    for _ in 0..50 {
        if std::net::TcpStream::connect(&listen).is_ok() {
            r = Some(Request::new("GET", "/dir/").header("host", "www.example.org").send(&listen).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = r.expect("the website listener is up");
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>Nested</h1>"));
    // An S3 request there is a website request too: no listing, no API.
    let r = Request::new("GET", "/?list-type=2").header("host", "www.example.org").signed(&listen).send(&listen).await;
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>Home</h1>"));
}
