//! The web console's server side (the browser side is tests/interop/console.sh, in a
//! real Chromium): IAM login profiles through aws-sdk-iam, signing in with a key or a
//! password into a session bound to temporary credentials, the cookie and the CSRF
//! token, sign-out revoking the credentials (across a restart too), failed sign-ins
//! slowed down, `/api/` answering exactly as the S3 listener with the session's
//! identity, the page's security headers, and the admin endpoints the console reads.

mod common;

use common::identity::{iam_client, s3_with_token};
use common::{raw, TestServer};
use serde_json::{json, Value};

fn admin_host(srv: &TestServer) -> String {
    srv.server.admin_addr.expect("admin listener").to_string()
}

/// A request to the console's session endpoint with the console header (unless
/// `bare`), a cookie and extra headers.
async fn session_call(srv: &TestServer, method: &str, body: Option<Value>, cookie: Option<&str>, extra: &[(&str, &str)]) -> raw::Response {
    let mut req = raw::Request::new(method, "/console/session").header("x-coffer-console", "1");
    if let Some(c) = cookie {
        req = req.header("cookie", &format!("coffer_console={c}"));
    }
    for (k, v) in extra {
        req = req.header(k, v);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    req.send(&admin_host(srv)).await
}

fn json_of(r: &raw::Response) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("JSON body: {}", r.text()))
}

/// Signs in with `body`; the cookie value and the session JSON.
async fn sign_in(srv: &TestServer, body: Value) -> (String, Value) {
    let r = session_call(srv, "POST", Some(body), None, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let set = r.header("set-cookie").expect("a session cookie").to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(attr), "{set}");
    }
    let value = set.split(';').next().unwrap().strip_prefix("coffer_console=").unwrap().to_owned();
    assert_eq!(value.len(), 64);
    (value, json_of(&r))
}

fn root_sign_in() -> Value {
    json!({"accessKeyId": "coffer", "secretAccessKey": "coffer-secret-key"})
}

/// A signer for the session's temporary credentials.
fn session_signer(info: &Value, service: &str) -> (raw::Signer, String) {
    let c = &info["credentials"];
    let signer = raw::Signer {
        access_key: c["accessKeyId"].as_str().unwrap().to_owned(),
        secret_key: c["secretAccessKey"].as_str().unwrap().to_owned(),
        service: service.to_owned(),
        ..raw::Signer::default()
    };
    (signer, c["sessionToken"].as_str().unwrap().to_owned())
}

/// Sends `method target` to the admin listener's `/api/`, signed by the session for the
/// path without `/api`, as the console page does.
async fn via_api(srv: &TestServer, info: &Value, method: &str, target: &str, body: &[u8]) -> raw::Response {
    let (signer, token) = session_signer(info, "s3");
    let host = admin_host(srv);
    let mut req = raw::Request::new(method, target).header("x-amz-security-token", &token).body(body.to_vec());
    signer.sign(&host, &mut req);
    req.target = format!("/api{target}");
    req.headers.push(("x-coffer-console".into(), "1".into()));
    req.send(&host).await
}

#[tokio::test]
async fn login_profiles_through_aws_sdk_iam() {
    let srv = TestServer::start().await;
    let iam = iam_client(&srv.endpoint, "coffer", "coffer-secret-key", None);
    iam.create_user().user_name("Alice").send().await.unwrap();
    let short = iam.create_login_profile().user_name("alice").password("short").send().await.unwrap_err();
    assert_eq!(short.into_service_error().meta().code(), Some("PasswordPolicyViolation"));
    let missing = iam.get_login_profile().user_name("alice").send().await.unwrap_err();
    assert_eq!(missing.into_service_error().meta().code(), Some("NoSuchEntity"));
    let created =
        iam.create_login_profile().user_name("alice").password("a long password").password_reset_required(true).send().await.unwrap();
    let profile = created.login_profile().unwrap();
    assert_eq!(profile.user_name(), "Alice");
    assert!(profile.password_reset_required());
    let again = iam.create_login_profile().user_name("alice").password("another password").send().await.unwrap_err();
    assert_eq!(again.into_service_error().meta().code(), Some("EntityAlreadyExists"));
    let conflict = iam.delete_user().user_name("alice").send().await.unwrap_err();
    assert_eq!(conflict.into_service_error().meta().code(), Some("DeleteConflict"));
    iam.update_login_profile().user_name("alice").password_reset_required(false).send().await.unwrap();
    let got = iam.get_login_profile().user_name("alice").send().await.unwrap();
    assert!(!got.login_profile().unwrap().password_reset_required());
    // Renaming the user keeps its password.
    iam.update_user().user_name("alice").new_user_name("Alicia").send().await.unwrap();
    let (_, info) = sign_in(&srv, json!({"userName": "alicia", "password": "a long password"})).await;
    assert_eq!(info["identity"]["userName"], "Alicia");
    iam.delete_login_profile().user_name("alicia").send().await.unwrap();
    let gone = iam.delete_login_profile().user_name("alicia").send().await.unwrap_err();
    assert_eq!(gone.into_service_error().meta().code(), Some("NoSuchEntity"));
    iam.delete_user().user_name("alicia").send().await.unwrap();
}

#[tokio::test]
async fn a_key_sign_in_gives_working_credentials_until_sign_out_even_across_a_restart() {
    let srv = TestServer::start().await;
    // Without the console header, or with a wrong secret: refused.
    let bare = raw::Request::new("POST", "/console/session")
        .header("content-type", "application/json")
        .body(root_sign_in().to_string())
        .send(&admin_host(&srv))
        .await;
    assert_eq!((bare.status, json_of(&bare)["code"].as_str()), (403, Some("MissingConsoleHeader")));
    let wrong = session_call(&srv, "POST", Some(json!({"accessKeyId": "coffer", "secretAccessKey": "nope"})), None, &[]).await;
    assert_eq!((wrong.status, json_of(&wrong)["code"].as_str()), (401, Some("SignInFailed")));
    assert!(wrong.header("set-cookie").is_none());

    let (cookie, info) = sign_in(&srv, root_sign_in()).await;
    assert_eq!(info["identity"]["admin"], true);
    assert_eq!(info["identity"]["type"], "root");
    assert_eq!(info["region"], "us-east-1");
    assert_eq!(info["s3Url"], srv.endpoint.as_str());
    let key = info["credentials"]["accessKeyId"].as_str().unwrap().to_owned();
    assert!(key.starts_with("ASIA"), "{key}");
    assert_ne!(info["credentials"]["secretAccessKey"], "coffer-secret-key");

    // The credentials work with any client, and through /api/ as on the S3 listener.
    let (ak, sk, token) =
        (key.as_str(), info["credentials"]["secretAccessKey"].as_str().unwrap(), info["credentials"]["sessionToken"].as_str().unwrap());
    let s3 = s3_with_token(&srv.endpoint, ak, sk, token);
    s3.create_bucket().bucket("photos").send().await.unwrap();
    let put = via_api(&srv, &info, "PUT", "/photos/a%20b/%3Cimg%3E.txt", b"hello").await;
    assert_eq!(put.status, 200, "{}", put.text());
    let got = s3.get_object().bucket("photos").key("a b/<img>.txt").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello");
    let list = via_api(&srv, &info, "GET", "/photos?list-type=2&prefix=a%20", b"").await;
    assert_eq!(list.status, 200);
    assert_eq!(raw::xml_field(&list.text(), "Key").as_deref(), Some("a b/&lt;img&gt;.txt"));
    // A stored HTML object cannot become a page of the console's origin: /api/ answers
    // the page's script only (a navigation or a tag sends no X-Coffer-Console), and its
    // answers are sandboxed; the object's own headers pass unchanged.
    let html = b"<script>fetch('/console/session')</script>";
    let s3_root = srv.client();
    s3_root
        .put_object()
        .bucket("photos")
        .key("evil.html")
        .content_type("text/html")
        .cache_control("max-age=60")
        .body(html.to_vec().into())
        .send()
        .await
        .unwrap();
    let presigned = raw::Signer::default().presign(&admin_host(&srv), "GET", "/photos/evil.html", std::time::Duration::from_secs(60));
    let navigation = raw::Request::new("GET", &format!("/api{presigned}")).send(&admin_host(&srv)).await;
    assert_eq!((navigation.status, json_of(&navigation)["code"].as_str()), (403, Some("MissingConsoleHeader")));
    assert!(!navigation.text().contains("<script>"));
    let fetched = via_api(&srv, &info, "GET", "/photos/evil.html", b"").await;
    assert_eq!(fetched.body, html);
    assert!(fetched.header("content-security-policy").unwrap().starts_with("sandbox"));
    assert_eq!(fetched.header("cache-control"), Some("max-age=60"));
    assert_eq!(fetched.header("connection"), Some("close"));

    // A signature over the path with /api is not the request's: refused.
    let (signer, token2) = session_signer(&info, "s3");
    let mut bad = raw::Request::new("GET", "/api/photos").header("x-amz-security-token", &token2).header("x-coffer-console", "1");
    signer.sign(&admin_host(&srv), &mut bad);
    let bad = bad.send(&admin_host(&srv)).await;
    assert_eq!(bad.code().as_deref(), Some("SignatureDoesNotMatch"), "{}", bad.text());

    // The cookie reads the session back; sign-out needs the CSRF token.
    let again = session_call(&srv, "GET", None, Some(&cookie), &[]).await;
    assert_eq!(again.status, 200);
    assert_eq!(json_of(&again)["credentials"]["accessKeyId"], key.as_str());
    let no_header =
        raw::Request::new("GET", "/console/session").header("cookie", &format!("coffer_console={cookie}")).send(&admin_host(&srv)).await;
    assert_eq!(no_header.status, 403);
    let forged = session_call(&srv, "DELETE", None, Some(&cookie), &[("x-csrf-token", "guess")]).await;
    assert_eq!((forged.status, json_of(&forged)["code"].as_str()), (403, Some("InvalidCsrfToken")));
    let csrf = info["csrfToken"].as_str().unwrap();
    let out = session_call(&srv, "DELETE", None, Some(&cookie), &[("x-csrf-token", csrf)]).await;
    assert_eq!(out.status, 200, "{}", out.text());
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(session_call(&srv, "GET", None, Some(&cookie), &[]).await.status, 401);
    // The credentials are revoked: refused by the S3 listener and through /api/.
    let refused = s3.list_buckets().send().await.unwrap_err();
    assert_eq!(common::error_info(&refused).code.as_deref(), Some("InvalidToken"));
    assert_eq!(via_api(&srv, &info, "GET", "/", b"").await.code().as_deref(), Some("InvalidToken"));

    // Still refused after a restart.
    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    let srv = TestServer::start_in(dir, &[]).await;
    let s3 = s3_with_token(&srv.endpoint, ak, sk, token);
    assert_eq!(common::error_info(&s3.list_buckets().send().await.unwrap_err()).code.as_deref(), Some("InvalidToken"));

    // The sign-ins and the sign-out are in the audit trail, without secrets.
    let audit = std::fs::read_to_string(srv.dir.path().join("audit.log")).unwrap();
    let records: Vec<Value> = audit.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let logins: Vec<&Value> = records.iter().filter(|r| r["eventName"] == "ConsoleLogin").collect();
    assert_eq!(logins.len(), 2, "{audit}");
    assert_eq!(logins[0]["errorCode"], "SignInFailed");
    assert!(logins[1]["errorCode"].is_null() && logins[1]["userIdentity"]["arn"].as_str().unwrap().ends_with(":root"));
    assert!(records.iter().any(|r| r["eventName"] == "ConsoleSignOut"));
    assert!(!audit.contains("coffer-secret-key") && !audit.contains("nope"));
}

#[tokio::test]
async fn password_sign_in_with_a_reset_a_denied_upload_and_throttling() {
    let srv = TestServer::start().await;
    let iam = iam_client(&srv.endpoint, "coffer", "coffer-secret-key", None);
    iam.create_user().user_name("reader").send().await.unwrap();
    let read_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:ListBucket","s3:GetObject"],"Resource":"*"}]}"#;
    iam.put_user_policy().user_name("reader").policy_name("read").policy_document(read_only).send().await.unwrap();
    iam.create_login_profile().user_name("reader").password("first password").password_reset_required(true).send().await.unwrap();
    srv.client().create_bucket().bucket("shared").send().await.unwrap();

    let reset = session_call(&srv, "POST", Some(json!({"userName": "reader", "password": "first password"})), None, &[]).await;
    assert_eq!((reset.status, json_of(&reset)["code"].as_str()), (403, Some("PasswordResetRequired")));
    let weak = json!({"userName": "reader", "password": "first password", "newPassword": "short"});
    let weak = session_call(&srv, "POST", Some(weak), None, &[]).await;
    assert_eq!((weak.status, json_of(&weak)["code"].as_str()), (400, Some("PasswordPolicyViolation")));
    let (_, info) = sign_in(&srv, json!({"userName": "reader", "password": "first password", "newPassword": "second password"})).await;
    assert_eq!(info["identity"]["userName"], "reader");
    assert_eq!(info["identity"]["admin"], false);
    assert!(info["identity"]["arn"].as_str().unwrap().ends_with(":user/reader"));
    assert!(!iam.get_login_profile().user_name("reader").send().await.unwrap().login_profile().unwrap().password_reset_required());

    // Authorized as the reader, by the same policy engine: listing works, uploads are
    // refused, and the admin API is the administrator's only.
    assert_eq!(via_api(&srv, &info, "GET", "/shared?list-type=2", b"").await.status, 200);
    let upload = via_api(&srv, &info, "PUT", "/shared/x.txt", b"nope").await;
    assert_eq!(upload.code().as_deref(), Some("AccessDenied"), "{}", upload.text());
    let (mut admin, token) = session_signer(&info, "coffer-admin");
    admin.payload = raw::Payload::Body;
    let mut req = raw::Request::new("GET", "/v1/info").header("x-amz-security-token", &token);
    admin.sign(&admin_host(&srv), &mut req);
    assert_eq!(req.send(&admin_host(&srv)).await.status, 403);

    // The new password works, the old one does not; repeated failures are slowed down
    // (429 with Retry-After), even for the right password while the wait lasts.
    sign_in(&srv, json!({"userName": "reader", "password": "second password"})).await;
    let mut throttled = None;
    for attempt in 1..=8 {
        let r = session_call(&srv, "POST", Some(json!({"userName": "reader", "password": "first password"})), None, &[]).await;
        if r.status == 429 {
            throttled = Some((attempt, r));
            break;
        }
        assert_eq!(r.status, 401);
    }
    let (attempt, r) = throttled.expect("throttled within 8 failures");
    assert_eq!(attempt, 7, "five failures are free, the sixth sets a wait");
    assert!(json_of(&r)["retryAfterSeconds"].as_u64().unwrap() >= 1);
    assert!(r.header("retry-after").is_some());
    let right = session_call(&srv, "POST", Some(json!({"userName": "reader", "password": "second password"})), None, &[]).await;
    assert_eq!(right.status, 429);
    // Unknown users answer as wrong passwords do (after the same hashing).
    let unknown = session_call(&srv, "POST", Some(json!({"account": "nosuch", "userName": "x", "password": "whatever1"})), None, &[]).await;
    assert!(unknown.status == 401 || unknown.status == 429);
}

#[tokio::test]
async fn the_page_has_strict_headers_and_the_admin_endpoints_answer_the_administrator() {
    let srv = TestServer::start().await;
    let page = raw::Request::new("GET", "/").send(&admin_host(&srv)).await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let csp = page.header("content-security-policy").unwrap();
    for directive in ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(page.text().contains("type=\"module\""), "{}", page.text());
    let script = raw::Request::new("GET", "/console/assets/js/app.js").send(&admin_host(&srv)).await;
    assert_eq!(script.status, 200);
    assert!(script.header("content-type").unwrap().starts_with("text/javascript"));
    for missing in ["/console/assets/../Cargo.toml", "/console/assets/nope.js", "/console/assets/%2e%2e/build.rs"] {
        assert_eq!(raw::Request::new("GET", missing).send(&admin_host(&srv)).await.status, 404, "{missing}");
    }

    let (_, info) = sign_in(&srv, root_sign_in()).await;
    srv.client().create_bucket().bucket("bucket").send().await.unwrap();
    let admin_get = |path: &'static str| {
        let info = info.clone();
        let host = admin_host(&srv);
        async move {
            let (signer, token) = session_signer(&info, "coffer-admin");
            let mut req = raw::Request::new("GET", path).header("x-amz-security-token", &token);
            signer.sign(&host, &mut req);
            let r = req.send(&host).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            serde_json::from_slice::<Value>(&r.body).unwrap()
        }
    };
    let metrics = admin_get("/v1/metrics").await;
    assert_eq!(metrics["format"], "prometheus");
    assert!(metrics["text"].as_str().unwrap().contains("coffer_requests_total"));
    let history = admin_get("/v1/metrics/history").await;
    assert_eq!(history["interval_secs"], 10);
    assert!(history["samples"].is_array());
    let audit = admin_get("/v1/audit?event=ConsoleLogin&limit=5").await;
    let records = audit["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{audit}");
    assert_eq!(records[0]["eventName"], "ConsoleLogin");
    assert_eq!(admin_get("/v1/audit?event=CreateBucket").await["records"].as_array().unwrap().len(), 1);
    let info_json = admin_get("/v1/info").await;
    assert!(info_json.get("version").is_some(), "{info_json}");

    // Turned off, the console answers nothing (the admin API stays).
    let off = TestServer::start_with(&[("console.enabled", "false")]).await;
    for path in ["/", "/console/assets/js/app.js", "/api/"] {
        let r = raw::Request::new("GET", path).send(&admin_host(&off)).await;
        assert_ne!(r.status, 200, "{path}");
        assert!(r.header("content-security-policy").is_none() && !r.text().contains("<html"), "{path}");
    }
}

#[tokio::test]
async fn concurrent_guesses_are_throttled_and_duplicate_cookies_are_not_trusted() {
    let srv = TestServer::start().await;
    // Twenty wrong secrets at once: at most one is checked at a time per name and client,
    // so no more than a handful are ever checked before the waits start.
    let tries = (0..20).map(|i| {
        let body = json!({"accessKeyId": "coffer", "secretAccessKey": format!("guess-{i}")});
        let host = admin_host(&srv);
        async move {
            raw::Request::new("POST", "/console/session")
                .header("x-coffer-console", "1")
                .header("content-type", "application/json")
                .body(body.to_string())
                .send(&host)
                .await
                .status
        }
    });
    let statuses = futures_util::future::join_all(tries).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(checked <= 6, "at most five free failures and one more before the wait: {statuses:?}");
    // Two session cookies (one planted by another page on this host): neither is trusted.
    let fresh = TestServer::start().await;
    let (cookie, _) = sign_in(&fresh, root_sign_in()).await;
    let both = raw::Request::new("GET", "/console/session")
        .header("x-coffer-console", "1")
        .header("cookie", &format!("coffer_console=planted; coffer_console={cookie}"))
        .send(&admin_host(&fresh))
        .await;
    assert_eq!(both.status, 401);
}

#[tokio::test]
async fn a_restart_revokes_every_console_session_and_a_new_root_key_ends_administrator_sessions() {
    let srv = TestServer::start().await;
    let (_, admin) = sign_in(&srv, root_sign_in()).await;
    let iam = iam_client(&srv.endpoint, "coffer", "coffer-secret-key", None);
    iam.create_user().user_name("carol").send().await.unwrap();
    let key = iam.create_access_key().user_name("carol").send().await.unwrap();
    let key = key.access_key().unwrap();
    let (_, carol) = sign_in(&srv, json!({"accessKeyId": key.access_key_id(), "secretAccessKey": key.secret_access_key()})).await;
    assert_eq!(carol["identity"]["userName"], "carol");
    // A GetSessionToken session (not the console's) survives a restart, as on AWS.
    let sts = common::identity::sts_client(&srv.endpoint, "coffer", "coffer-secret-key", None);
    let plain = sts.get_session_token().send().await.unwrap();
    let plain = plain.credentials().unwrap().clone();

    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    let srv = TestServer::start_in(dir, &[]).await;
    for info in [&admin, &carol] {
        let r = via_api(&srv, info, "GET", "/", b"").await;
        assert_eq!(r.code().as_deref(), Some("InvalidToken"), "{}", r.text());
    }
    let s3 = s3_with_token(&srv.endpoint, plain.access_key_id(), plain.secret_access_key(), plain.session_token());
    s3.list_buckets().send().await.unwrap();

    // An administrator session ends when the configured root key changes.
    let (_, admin) = sign_in(&srv, root_sign_in()).await;
    assert_eq!(via_api(&srv, &admin, "GET", "/", b"").await.status, 200);
    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    let srv = TestServer::start_in(dir, &[("auth.secret_key", "a-new-root-secret")]).await;
    let r = via_api(&srv, &admin, "GET", "/", b"").await;
    assert_eq!(r.code().as_deref(), Some("InvalidToken"), "{}", r.text());
}
