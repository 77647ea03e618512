//! coffer: an S3-compatible object storage server.
//!
//! # Layout
//!
//! A request flows top to bottom through these modules; dependencies only point down.
//!
//! | module | job |
//! |---|---|
//! | [`config`] | `config.toml` + `COFFER_*` env + `--section.key` flags → validated [`config::Config`] |
//! | [`server`] | TCP accept loop (hyper 1), TLS (`tls`: rustls, the certificate reloaded on SIGHUP), request ids, the request log line, graceful shutdown; `query_api` (`POST /` to the IAM and STS APIs); `conn` (admission: global and per-IP limits, idle connections reaped; the per-connection watchdog: idle, head and write timeouts), `io` (the socket wrapper that reports to the watchdog and answers hyper's own refusals as S3 XML) |
//! | [`s3`] | the S3 protocol: [`s3::router`] (pure `Endpoint` routing), [`s3::dispatch`] (route → authenticate → authorize → handler), [`s3::access`] (each operation's IAM action and resources, the authorization step with identity and bucket policies and ACLs), [`s3::conditions`] (a request's condition keys), `acl` + `bucket_access` (the ACL, policy, ownership and public access block operations), `encryption` (SSE-S3, SSE-KMS, SSE-C: which sealing a write gets, the key a read needs, Put/Get/DeleteBucketEncryption), `object_lock` (lock configuration, retention, legal holds, the governance bypass; the store enforces them), `protection` (refuses appends and website redirects before any handler), one file per feature (`bucket`, `object_put`, `object_get`, `attributes`, `copy`, `delete`, `list`, `multipart`, `multipart_complete`…), `conditional` (read, write and delete preconditions), [`s3::error`] (every S3 error code), `xml` + `document` (XML bodies: strict schema, digests checked), `encoded_words` (RFC 2047 metadata), [`s3::body`] (request bodies: their pace, the buffered-body budget), `s3::fuzzing` (entry points of the fuzz targets in `fuzz/`) |
//! | [`bucket_access`] | a bucket's resource-side controls: its policy, ACLs (`acl`, pure: canned ACLs, grant headers, AccessControlPolicy XML), Object Ownership and Block Public Access (`settings`, pure), stored as bucket configuration documents and cached parsed for authorization |
//! | [`admin`] | the admin listener (`admin.listen`): health checks, Prometheus metrics (`/metrics`), the signed admin API (accounts, server info, usage, quotas) and the `coffer admin` command that calls it |
//! | [`console`] | the web console on the admin listener: its built-in page and scripts (`assets`, strict CSP), sign-in with a key or an IAM user's password into a server-side session bound to temporary credentials (`session`, `throttle`), and `/api/`, the S3/IAM/STS/KMS APIs forwarded unchanged to the S3 front end |
//! | [`metrics`] | request counters and duration histograms, and the Prometheus text format |
//! | [`audit`] | the audit trail: changes and failed authentications as CloudTrail-shaped JSON lines |
//! | [`access_log`] | server access logging: records of requests to logged buckets, kept until delivered as log objects to their target buckets |
//! | [`iam`] | accounts, IAM users, groups, roles and policies, STS sessions: the policy language ([`iam::policy`], pure), the stored records, the in-memory directory every request reads, the server key and sealed secrets, the IAM and STS query APIs (`POST /`), and the authorization decision ([`iam::Principal::is_allowed`]) |
//! | [`kms`] | the built-in KMS: symmetric keys per account (material sealed by the server key, versions kept across rotations), aliases, the AWS KMS JSON API (`kms::api`), the `Kms` trait SSE-KMS will use |
//! | [`auth`] | SigV4 (header, presigned, aws-chunked streaming with chunk and trailer signatures), SigV2, credentials; which headers must be signed (`docs/security.md`) |
//! | [`website`] | the static website endpoint (`<bucket>.<server.website_domain>`, `website.listen`): anonymous GET/HEAD of a bucket with a website configuration, index documents, redirects, HTML error pages and the error document; objects are read through the S3 layer's GetObject |
//! | [`worker`] | background tasks: lifecycle, event delivery, the scrubber |
//! | [`store`] | buckets and object versions over `meta` + `blob`: the commit protocol, reference counts, the blob collector, rollback of unflushed writes, usage kept by every batch and quotas, the disk-space reserve, scrub passes |
//! | [`model`] | domain types and pure logic: bucket rules, `ObjectVersion` + manifest, byte ranges, Object Lock rules (`lock`), stored encodings |
//! | [`meta`] | the `MetaStore` trait (ordered KV, atomic batches, flush), sled and in-memory adapters, key encoding, group commit |
//! | [`crypto`] | encryption at rest: the sealed chunk format (AES-256-GCM, STREAM, synthetic nonces that keep dedup), SSE-C key protection; the S3 side is `s3::encryption` |
//! | [`blob`] | the `BlobStore` trait and the content-addressed filesystem store; streaming hashers and checksums; verified reads (BLAKE3 block tree), quarantine |
//! | [`group_sync`] | the bottom layer: concurrent callers share one durability barrier (used by `meta` and `blob`) |
//! | [`fsync`] | the bottom layer: durability by fsync of files and directories (no syncfs), directories created durably |
//!
//! `model`, `meta` and `blob` never import hyper or know S3 header names. Durability
//! rules are in `docs/durability.md`.

pub mod access_log;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod blob;
pub mod bucket_access;
pub mod config;
pub mod console;
pub mod crypto;
pub mod events;
pub mod fsync;
pub mod group_sync;
pub mod iam;
pub mod kms;
pub mod meta;
pub mod metrics;
pub mod model;
pub mod s3;
pub mod server;
pub mod store;
pub mod website;
pub mod worker;
