//! Property test: random requests against the real server, signed and unsigned, never
//! produce a 500, a dropped connection or a panic, and leave the server serving.
//! Requests are drawn from S3's vocabulary (methods, sub-resources, headers, bodies)
//! with random values, so that they reach deep into routing, authentication, header
//! parsing and the XML parsers. The seed is printed; `COFFER_RANDOM_SEED` replays one.

mod common;

use common::raw::{Payload, Request, Signer};
use common::TestServer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"];
const PATHS: &[&str] = &[
    "/",
    "/bkt",
    "/bkt/",
    "/bkt/key",
    "/bkt/a%2Fb",
    "/bkt/%E2%82%AC",
    "/bkt/..",
    "/nope/k",
    "/BAD_name/k",
    "/bkt/k%",
    "//bkt//k",
    "/bkt/k?",
];
const QUERIES: &[&str] = &[
    "",
    "uploads",
    "uploadId=x&partNumber=1",
    "partNumber=0",
    "partNumber=99999999999",
    "versionId=null",
    "versioning",
    "tagging",
    "lifecycle",
    "notification",
    "delete",
    "list-type=2&prefix=a+b&max-keys=-1",
    "list-type=2&continuation-token=%FF",
    "versions&key-marker=a&version-id-marker=zz",
    "location",
    "acl",
    "policy",
    "max-keys=abc",
    "encoding-type=url",
    "uploads&max-uploads=0",
];
const HEADERS: &[&str] = &[
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "content-md5",
    "content-type",
    "x-amz-copy-source",
    "x-amz-copy-source-range",
    "x-amz-metadata-directive",
    "x-amz-tagging",
    "x-amz-storage-class",
    "x-amz-checksum-crc32",
    "x-amz-checksum-algorithm",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-meta-a",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
    "x-amz-server-side-encryption",
    "expect",
];
const VALUES: &[&str] = &[
    "",
    "bytes=0-0",
    "bytes=-1",
    "bytes=5-1",
    "bytes=0-1,3-4",
    "*",
    "\"abc\"",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "garbage",
    "/bkt/key",
    "/bkt/key?versionId=zz",
    "COPY",
    "REPLACE",
    "a=b&c",
    "GLACIER",
    "NOPE",
    "AAAAAA==",
    "CRC32",
    "18446744073709551616",
    "-1",
    "x-amz-checksum-crc32",
    "AES256",
    "100-continue",
];
const BODIES: &[&str] = &[
    "",
    "<Delete><Object><Key>a</Key></Object></Delete>",
    "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
    "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
    "<LifecycleConfiguration><Rule><Status>Enabled</Status><Filter/><Expiration><Days>0</Days></Expiration></Rule></LifecycleConfiguration>",
    "<NotificationConfiguration><QueueConfiguration><Queue>x</Queue></QueueConfiguration></NotificationConfiguration>",
    "<<<>>>",
    "<Delete>",
    "0\r\n\r\n",
    "5;chunk-signature=zz\r\nhello\r\n0\r\n\r\n",
];

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.gen_range(0..from.len())]
}

/// A random value: from the list, or random printable bytes.
fn value(rng: &mut StdRng) -> String {
    if rng.gen_bool(0.8) {
        pick(rng, VALUES).to_owned()
    } else {
        (0..rng.gen_range(0..40)).map(|_| char::from(rng.gen_range(0x21u8..0x7f))).collect()
    }
}

fn random_request(rng: &mut StdRng) -> Request {
    let query = pick(rng, QUERIES);
    let path = pick(rng, PATHS);
    let target = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    let mut req = Request::new(pick(rng, METHODS), &target);
    for _ in 0..rng.gen_range(0..4) {
        let name = pick(rng, HEADERS);
        req = req.header(name, &value(rng));
    }
    let body = pick(rng, BODIES);
    if rng.gen_bool(0.3) {
        let mut bytes = body.as_bytes().to_vec();
        if !bytes.is_empty() {
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.gen();
        }
        req.body(bytes)
    } else {
        req.body(body.as_bytes().to_vec())
    }
}

#[tokio::test]
async fn random_requests_never_produce_500() {
    let srv = TestServer::start().await;
    let s3 = srv.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    s3.put_object().bucket("bkt").key("key").body(b"hello".to_vec().into()).send().await.unwrap();
    let host = srv.host();
    let seed = std::env::var("COFFER_RANDOM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random::<u64>);
    eprintln!("random_requests: seed {seed} (COFFER_RANDOM_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for i in 0..1500 {
        let mut req = random_request(&mut rng);
        match rng.gen_range(0..3) {
            0 => {}
            1 => req = req.signed(&host),
            _ => req = req.signed_by(&host, &Signer { payload: Payload::Unsigned, ..Signer::default() }),
        }
        let resp = req.send(&host).await;
        assert!(resp.status != 0, "request {i} got no response (seed {seed}): {req:?}");
        assert!(
            resp.status < 500 || resp.status == 501 || resp.status == 503,
            "request {i} got {} (seed {seed}): {req:?}\n{}",
            resp.status,
            resp.text()
        );
        *statuses.entry(resp.status).or_default() += 1;
    }
    eprintln!("random_requests: statuses {statuses:?}");
    // Still serving (random signed requests may have changed `key`, or deleted `bkt` if
    // it held only uploads: re-creating a bucket you own is 200 in us-east-1).
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    s3.put_object().bucket("bkt").key("after").body(b"still here".to_vec().into()).send().await.unwrap();
    let body = s3.get_object().bucket("bkt").key("after").send().await.unwrap().body.collect().await.unwrap().into_bytes();
    assert_eq!(body.as_ref(), b"still here");
    srv.server.stop().await;
}
