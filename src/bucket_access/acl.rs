//! S3 access control lists, as pure data: the stored [`Acl`] (defined in
//! `crate::model::acl`, re-exported here), the canned ACLs of
//! `x-amz-acl`, the grant headers `x-amz-grant-*`, the `AccessControlPolicy` document
//! of GetBucketAcl / PutBucketAcl / GetObjectAcl / PutObjectAcl, the resolution of the
//! grantees a request names to accounts, and the grant check ([`Acl::allows`]).
//!
//! No I/O: this module never imports hyper, the store or the IAM directory; accounts
//! are reached through the closures the caller passes (`lookup_email`, `known_id`,
//! `display_name`). Its errors are [`S3Error`]s, so that handlers can use `?`.
//!
//! The ACL document is parsed here with quick-xml events, not with
//! `crate::s3::xml::from_xml`: the grantee's type is an attribute (`xsi:type`), which
//! that parser removes, and a bad ACL document is `MalformedACLError`, not
//! `MalformedXML`.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde::Serialize;

use crate::s3::error::{S3Error, S3ErrorCode, S3Result};
use crate::s3::xml::{to_xml, NS};

/// Most grants in one ACL ("An ACL can have up to 100 grants", S3 user guide); more is
/// `MalformedACLError`, as S3 answers.
pub const MAX_GRANTS: usize = 100;

/// The namespace of the `xsi:type` attribute of `<Grantee>`.
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The canonical id of the Amazon EC2 account (`za-team`) that the canned ACL
/// `aws-exec-read` gives READ. It is no account here, but an ACL read back from S3 or
/// from us names it, so [`resolve`] accepts it.
pub const EC2_BUNDLE_READER_ID: &str = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c";

/// Deepest element nesting accepted in an ACL document (the schema needs 5).
const MAX_DEPTH: usize = 8;

pub use crate::model::acl::{Acl, Grant, Grantee, Group, Permission};

/// A grantee as a request names it, before emails are resolved to accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GranteeSpec {
    /// `id="…"` / `xsi:type="CanonicalUser"`: a canonical id, not yet checked.
    Id(String),
    /// `emailAddress="…"` / `xsi:type="AmazonCustomerByEmail"`: an account's email.
    Email(String),
    /// `uri="…"` / `xsi:type="Group"`: a predefined group.
    Group(Group),
}

/// A canned ACL (`x-amz-acl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canned {
    /// `private`: the owner alone.
    Private,
    /// `public-read`: AllUsers READ.
    PublicRead,
    /// `public-read-write`: AllUsers READ and WRITE.
    PublicReadWrite,
    /// `authenticated-read`: AuthenticatedUsers READ.
    AuthenticatedRead,
    /// `aws-exec-read`: Amazon EC2's account READ.
    AwsExecRead,
    /// `bucket-owner-read`: the bucket owner READ (objects).
    BucketOwnerRead,
    /// `bucket-owner-full-control`: the bucket owner FULL_CONTROL (objects).
    BucketOwnerFullControl,
    /// `log-delivery-write`: LogDelivery WRITE and READ_ACP (buckets).
    LogDeliveryWrite,
}

/// Who asks, for grant checks.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    /// An unsigned request.
    Anonymous,
    /// A request signed by (a user or role of) an account.
    Account {
        /// The account's canonical id.
        canonical_id: &'a str,
    },
}

/// An ACL request before resolution: from x-amz-acl, from x-amz-grant-* headers, or
/// from an AccessControlPolicy body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclRequest {
    /// `x-amz-acl`.
    Canned(Canned),
    /// `x-amz-grant-*` headers: exactly these grants (the owner gets none implicitly).
    Grants(Vec<(GranteeSpec, Permission)>),
    /// An `AccessControlPolicy` body.
    Policy {
        /// The `<Owner><ID>` of the document, if it has an `<Owner>`.
        owner: Option<String>,
        /// Its grants.
        grants: Vec<(GranteeSpec, Permission)>,
    },
}

impl Canned {
    /// Every canned ACL, in the order of the enum.
    pub const ALL: [Canned; 8] = [
        Canned::Private,
        Canned::PublicRead,
        Canned::PublicReadWrite,
        Canned::AuthenticatedRead,
        Canned::AwsExecRead,
        Canned::BucketOwnerRead,
        Canned::BucketOwnerFullControl,
        Canned::LogDeliveryWrite,
    ];

    /// The canned ACL `x-amz-acl` names ("private", "public-read", …); exact match.
    pub fn parse(s: &str) -> Option<Canned> {
        Canned::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The name `x-amz-acl` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Canned::Private => "private",
            Canned::PublicRead => "public-read",
            Canned::PublicReadWrite => "public-read-write",
            Canned::AuthenticatedRead => "authenticated-read",
            Canned::AwsExecRead => "aws-exec-read",
            Canned::BucketOwnerRead => "bucket-owner-read",
            Canned::BucketOwnerFullControl => "bucket-owner-full-control",
            Canned::LogDeliveryWrite => "log-delivery-write",
        }
    }

    /// The grants S3 gives this canned ACL (S3 user guide, "Canned ACL"): the owner
    /// FULL_CONTROL always first; `bucket-owner-read` / `bucket-owner-full-control` add
    /// the bucket owner when it is not the owner (so on a bucket they are `private`, as
    /// S3 ignores them there).
    pub fn acl(self, owner: &str, bucket_owner: &str) -> Acl {
        let mut grants = vec![Grant::user(owner, Permission::FullControl)];
        match self {
            Canned::PublicRead => grants.push(Grant::group(Group::AllUsers, Permission::Read)),
            Canned::PublicReadWrite => {
                grants.push(Grant::group(Group::AllUsers, Permission::Read));
                grants.push(Grant::group(Group::AllUsers, Permission::Write));
            }
            Canned::AuthenticatedRead => grants.push(Grant::group(Group::AuthenticatedUsers, Permission::Read)),
            Canned::AwsExecRead => grants.push(Grant::user(EC2_BUNDLE_READER_ID, Permission::Read)),
            Canned::BucketOwnerRead if bucket_owner != owner => grants.push(Grant::user(bucket_owner, Permission::Read)),
            Canned::BucketOwnerFullControl if bucket_owner != owner => {
                grants.push(Grant::user(bucket_owner, Permission::FullControl));
            }
            Canned::Private | Canned::BucketOwnerRead | Canned::BucketOwnerFullControl => {}
            Canned::LogDeliveryWrite => {
                grants.push(Grant::group(Group::LogDelivery, Permission::Write));
                grants.push(Grant::group(Group::LogDelivery, Permission::ReadAcp));
            }
        }
        Acl { owner: owner.to_owned(), grants }
    }
}

impl Acl {
    /// The owner alone with FULL_CONTROL (what every object/bucket has by default and
    /// what ACL reads answer under BucketOwnerEnforced).
    pub fn owner_full_control(owner: &str) -> Acl {
        Acl { owner: owner.to_owned(), grants: vec![Grant::user(owner, Permission::FullControl)] }
    }

    /// Whether the grants give `who` the permission `perm` (FULL_CONTROL implies every
    /// permission; AllUsers matches everyone incl. anonymous; AuthenticatedUsers any
    /// Account requester; LogDelivery matches nobody who signs requests here;
    /// CanonicalUser matches by id). The owner gets nothing implicitly from this
    /// function (the caller handles owners).
    pub fn allows(&self, who: Requester<'_>, perm: Permission) -> bool {
        self.grants.iter().any(|grant| {
            grant.permission.covers(perm)
                && match (&grant.grantee, who) {
                    (Grantee::Group(Group::AllUsers), _) | (Grantee::Group(Group::AuthenticatedUsers), Requester::Account { .. }) => true,
                    (Grantee::CanonicalUser(id), Requester::Account { canonical_id }) => id == canonical_id,
                    _ => false,
                }
        })
    }

    /// Whether any grant goes to AllUsers or AuthenticatedUsers (S3's "public" ACL, for
    /// Block Public Access).
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| matches!(g.grantee, Grantee::Group(group) if group.is_public()))
    }

    /// This ACL without its grants to AllUsers / AuthenticatedUsers (what
    /// IgnorePublicAcls evaluates).
    #[must_use]
    pub fn without_public(&self) -> Acl {
        let grants = self.grants.iter().filter(|g| !matches!(g.grantee, Grantee::Group(group) if group.is_public())).cloned().collect();
        Acl { owner: self.owner.clone(), grants }
    }

    /// Whether this ACL is a "bucket owner full control" ACL, the only kind S3 accepts
    /// when ACLs are disabled (BucketOwnerEnforced): at least one grant, and every grant
    /// FULL_CONTROL to the owner or to `bucket_owner`. `private` and
    /// `bucket-owner-full-control` pass; any other grant, group or permission fails.
    pub fn is_owner_only(&self, bucket_owner: &str) -> bool {
        !self.grants.is_empty()
            && self.grants.iter().all(|g| {
                g.permission == Permission::FullControl
                    && matches!(&g.grantee, Grantee::CanonicalUser(id) if *id == self.owner || id == bucket_owner)
            })
    }

    /// The AccessControlPolicy XML document (xmlns NS; Owner with ID and DisplayName;
    /// AccessControlList/Grant with Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    /// xsi:type="CanonicalUser"|"Group", ID+DisplayName or URI; Permission).
    /// `display_name(canonical_id)` gives names (None → omit DisplayName).
    pub fn to_xml(&self, display_name: &dyn Fn(&str) -> Option<String>) -> S3Result<String> {
        let grants = self
            .grants
            .iter()
            .map(|grant| {
                let grantee = match &grant.grantee {
                    Grantee::CanonicalUser(id) => GranteeOut {
                        xmlns_xsi: XSI_NS,
                        xsi_type: "CanonicalUser",
                        id: Some(id.clone()),
                        display_name: display_name(id),
                        uri: None,
                    },
                    Grantee::Group(group) => {
                        GranteeOut { xmlns_xsi: XSI_NS, xsi_type: "Group", id: None, display_name: None, uri: Some(group.uri()) }
                    }
                };
                GrantOut { grantee, permission: grant.permission.as_str() }
            })
            .collect();
        let doc = PolicyOut {
            xmlns: NS,
            owner: OwnerOut { id: self.owner.clone(), display_name: display_name(&self.owner) },
            list: ListOut { grants },
        };
        to_xml("AccessControlPolicy", &doc)
    }
}

impl AclRequest {
    /// The ACL this request sets on a resource owned by `owner` in a bucket owned by
    /// `bucket_owner`: a canned ACL's grants, or the named grants resolved (see
    /// [`resolve`]). A policy's `<Owner>` is not checked here: the caller compares it
    /// with the resource's owner.
    pub fn into_acl(
        self,
        owner: &str,
        bucket_owner: &str,
        lookup_email: &dyn Fn(&str) -> Option<String>,
        known_id: &dyn Fn(&str) -> bool,
    ) -> S3Result<Acl> {
        match self {
            AclRequest::Canned(canned) => Ok(canned.acl(owner, bucket_owner)),
            AclRequest::Grants(grants) | AclRequest::Policy { grants, .. } => resolve(grants, owner, lookup_email, known_id),
        }
    }
}

/// The `x-amz-grant-*` headers and the permission each gives.
const GRANT_HEADERS: [(&str, Permission); 5] = [
    ("x-amz-grant-read", Permission::Read),
    ("x-amz-grant-write", Permission::Write),
    ("x-amz-grant-read-acp", Permission::ReadAcp),
    ("x-amz-grant-write-acp", Permission::WriteAcp),
    ("x-amz-grant-full-control", Permission::FullControl),
];

/// The ACL a request asks for in its headers: `x-amz-acl` (canned) or
/// `x-amz-grant-read|write|read-acp|write-acp|full-control` (comma-separated `id="..."`,
/// `emailAddress="..."`, `uri="..."`, quotes optional, whitespace tolerated). Both kinds
/// at once → 400 InvalidRequest "Specifying both Canned ACLs and Header Grants is not
/// allowed"; an unknown canned name → 400 InvalidArgument; a malformed grant → 400
/// InvalidArgument; an unknown group URI → 400 InvalidArgument. `headers` is any list
/// of (lower-case name, value). None when the request carries no ACL header.
pub fn from_headers<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> S3Result<Option<AclRequest>> {
    let mut canned: Option<&str> = None;
    let mut grant_headers: Vec<(&'static str, Permission, &str)> = Vec::new();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("x-amz-acl") {
            // Two different x-amz-acl values name no single canned ACL.
            if canned.is_some_and(|c| c != value) {
                return Err(invalid_argument("", "x-amz-acl", value));
            }
            canned = Some(value);
        } else if let Some((header, permission)) = GRANT_HEADERS.into_iter().find(|(h, _)| name.eq_ignore_ascii_case(h)) {
            grant_headers.push((header, permission, value));
        }
    }
    match canned {
        Some(_) if !grant_headers.is_empty() => {
            Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed"))
        }
        // S3 answers an unknown canned ACL with an empty message.
        Some(name) => {
            Canned::parse(name.trim()).map(|c| Some(AclRequest::Canned(c))).ok_or_else(|| invalid_argument("", "x-amz-acl", name))
        }
        None if grant_headers.is_empty() => Ok(None),
        None => {
            let mut grants = Vec::new();
            for (header, permission, value) in grant_headers {
                for spec in grantees_of_header(header, value)? {
                    grants.push((spec, permission));
                }
            }
            if grants.len() > MAX_GRANTS {
                return Err(S3Error::new(S3ErrorCode::MalformedACLError));
            }
            Ok(Some(AclRequest::Grants(grants)))
        }
    }
}

/// The grantees of one grant header: `type=value` items (value optionally in double
/// quotes), separated by commas; empty items are skipped.
fn grantees_of_header(header: &str, value: &str) -> S3Result<Vec<GranteeSpec>> {
    let unrecognized = || invalid_argument("Argument format not recognized", header, value);
    let mut specs = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (kind, target) = item.split_once('=').ok_or_else(unrecognized)?;
        let target = target.trim();
        let target = match target.strip_prefix('"') {
            Some(rest) => rest.strip_suffix('"').ok_or_else(unrecognized)?,
            None => target,
        };
        if target.is_empty() || target.contains('"') {
            return Err(unrecognized());
        }
        let kind = kind.trim();
        let spec = if kind.eq_ignore_ascii_case("id") {
            GranteeSpec::Id(target.to_owned())
        } else if kind.eq_ignore_ascii_case("emailAddress") {
            GranteeSpec::Email(target.to_owned())
        } else if kind.eq_ignore_ascii_case("uri") {
            GranteeSpec::Group(Group::from_uri(target).ok_or_else(|| invalid_argument("Invalid group uri", header, value))?)
        } else {
            return Err(unrecognized());
        };
        specs.push(spec);
    }
    Ok(specs)
}

/// A PutBucketAcl/PutObjectAcl body (AccessControlPolicy). Malformed → 400
/// MalformedACLError (S3's code for a bad ACL document: not well-formed, another
/// document element, an unknown element, a missing or unknown `xsi:type` or
/// `Permission`, more than [`MAX_GRANTS`] grants). A grantee of type
/// AmazonCustomerByEmail gives GranteeSpec::Email (EmailAddress required),
/// CanonicalUser → Id (ID required), Group → Group (URI required; an unknown URI is
/// InvalidArgument "Invalid group uri").
pub fn from_xml_body(body: &[u8]) -> S3Result<AclRequest> {
    let root = parse_tree(body).ok_or_else(malformed_acl)?;
    if root.name != "AccessControlPolicy" {
        return Err(malformed_acl());
    }
    let (mut owner, mut grants) = (None, None);
    for child in root.container()? {
        match child.name.as_str() {
            "Owner" if owner.is_none() => owner = Some(owner_id(child)?),
            "AccessControlList" if grants.is_none() => grants = Some(grants_of(child)?),
            _ => return Err(malformed_acl()),
        }
    }
    Ok(AclRequest::Policy { owner, grants: grants.unwrap_or_default() })
}

/// The `<ID>` of `<Owner>` (required; `<DisplayName>` is ignored).
fn owner_id(owner: Node) -> S3Result<String> {
    let mut id = None;
    for child in owner.container()? {
        match child.name.as_str() {
            "ID" if id.is_none() => id = Some(child.leaf()?),
            "DisplayName" => {
                child.leaf()?;
            }
            _ => return Err(malformed_acl()),
        }
    }
    id.filter(|id| !id.is_empty()).ok_or_else(malformed_acl)
}

/// The grants of `<AccessControlList>`: only `<Grant>` elements, at most [`MAX_GRANTS`].
fn grants_of(list: Node) -> S3Result<Vec<(GranteeSpec, Permission)>> {
    let children = list.container()?;
    if children.len() > MAX_GRANTS {
        return Err(malformed_acl());
    }
    let mut grants = Vec::with_capacity(children.len());
    for grant in children {
        if grant.name != "Grant" {
            return Err(malformed_acl());
        }
        let (mut grantee, mut permission) = (None, None);
        for child in grant.container()? {
            match child.name.as_str() {
                "Grantee" if grantee.is_none() => grantee = Some(grantee_of(child)?),
                "Permission" if permission.is_none() => {
                    permission = Some(Permission::parse(&child.leaf()?).ok_or_else(malformed_acl)?);
                }
                _ => return Err(malformed_acl()),
            }
        }
        grants.push((grantee.ok_or_else(malformed_acl)?, permission.ok_or_else(malformed_acl)?));
    }
    Ok(grants)
}

/// A `<Grantee>`: its `xsi:type` decides which child element names it.
fn grantee_of(grantee: Node) -> S3Result<GranteeSpec> {
    let kind = grantee.type_attr.clone().ok_or_else(malformed_acl)?;
    let (mut id, mut email, mut uri) = (None, None, None);
    for child in grantee.container()? {
        let slot = match child.name.as_str() {
            "ID" => &mut id,
            "EmailAddress" => &mut email,
            "URI" => &mut uri,
            "DisplayName" => {
                child.leaf()?;
                continue;
            }
            _ => return Err(malformed_acl()),
        };
        if slot.is_some() {
            return Err(malformed_acl());
        }
        *slot = Some(child.leaf()?);
    }
    let required = |v: Option<String>| v.filter(|v| !v.is_empty()).ok_or_else(malformed_acl);
    match kind.as_str() {
        "CanonicalUser" => Ok(GranteeSpec::Id(required(id)?)),
        "AmazonCustomerByEmail" => Ok(GranteeSpec::Email(required(email)?)),
        "Group" => {
            let uri = required(uri)?;
            Group::from_uri(&uri).map(GranteeSpec::Group).ok_or_else(|| invalid_argument("Invalid group uri", "Group/URI", &uri))
        }
        _ => Err(malformed_acl()),
    }
}

/// Resolves grantee specs to stored grants: emails and ids through
/// `lookup_email(email) -> Option<canonical id>` and `known_id(id) -> bool`; unknown
/// email → 400 UnresolvableGrantByEmailAddress; unknown/invalid canonical id → 400
/// InvalidArgument ("Invalid id"); more than [`MAX_GRANTS`] → 400 MalformedACLError
/// (S3's answer to an ACL over its limit). [`EC2_BUNDLE_READER_ID`] is accepted as
/// known, so that an `aws-exec-read` ACL read back can be written again.
pub fn resolve(
    specs: Vec<(GranteeSpec, Permission)>,
    owner: &str,
    lookup_email: &dyn Fn(&str) -> Option<String>,
    known_id: &dyn Fn(&str) -> bool,
) -> S3Result<Acl> {
    if specs.len() > MAX_GRANTS {
        return Err(malformed_acl());
    }
    let mut grants = Vec::with_capacity(specs.len());
    for (spec, permission) in specs {
        let grantee = match spec {
            GranteeSpec::Id(id) if id == EC2_BUNDLE_READER_ID || known_id(&id) => Grantee::CanonicalUser(id),
            GranteeSpec::Id(id) => return Err(invalid_argument("Invalid id", "CanonicalUser/ID", &id)),
            GranteeSpec::Email(email) => match lookup_email(&email) {
                Some(id) => Grantee::CanonicalUser(id),
                None => return Err(S3Error::new(S3ErrorCode::UnresolvableGrantByEmailAddress)),
            },
            GranteeSpec::Group(group) => Grantee::Group(group),
        };
        grants.push(Grant { grantee, permission });
    }
    Ok(Acl { owner: owner.to_owned(), grants })
}

fn malformed_acl() -> S3Error {
    S3Error::new(S3ErrorCode::MalformedACLError)
}

/// InvalidArgument with S3's `<ArgumentName>` / `<ArgumentValue>` elements.
fn invalid_argument(message: &str, name: &str, value: &str) -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::InvalidArgument, message);
    e.elements.push(("ArgumentName", name.to_owned()));
    e.elements.push(("ArgumentValue", value.to_owned()));
    e
}

/// An element of a parsed ACL document.
struct Node {
    /// Local name (namespace prefix dropped).
    name: String,
    /// The value of its `type` attribute in any prefix (`xsi:type`), if any.
    type_attr: Option<String>,
    /// Child elements, in order.
    children: Vec<Node>,
    /// Its text, concatenated (CDATA included).
    text: String,
}

impl Node {
    fn open(start: &BytesStart<'_>) -> Option<Node> {
        let name = std::str::from_utf8(start.local_name().as_ref()).ok()?.to_owned();
        let mut type_attr = None;
        for attr in start.attributes() {
            let attr = attr.ok()?;
            if attr.key.as_namespace_binding().is_none() && attr.key.local_name().as_ref() == b"type" {
                type_attr = Some(attr.unescape_value().ok()?.into_owned());
            }
        }
        Some(Node { name, type_attr, children: Vec::new(), text: String::new() })
    }

    /// The children of an element that must hold elements only (whitespace aside).
    fn container(self) -> S3Result<Vec<Node>> {
        if self.text.trim().is_empty() {
            Ok(self.children)
        } else {
            Err(malformed_acl())
        }
    }

    /// The text of an element that must hold text only, trimmed.
    fn leaf(self) -> S3Result<String> {
        if self.children.is_empty() {
            Ok(self.text.trim().to_owned())
        } else {
            Err(malformed_acl())
        }
    }
}

/// The document element of `body` as a tree; None if it is not one well-formed,
/// UTF-8 XML document of at most [`MAX_DEPTH`] levels.
fn parse_tree(body: &[u8]) -> Option<Node> {
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = Reader::from_str(text);
    let mut open: Vec<Node> = Vec::new();
    let mut root = None;
    loop {
        let done = match reader.read_event().ok()? {
            Event::Start(start) => {
                if open.len() >= MAX_DEPTH {
                    return None;
                }
                open.push(Node::open(&start)?);
                None
            }
            Event::Empty(start) => Some(Node::open(&start)?),
            // quick-xml checks that the end tag matches the open element.
            Event::End(_) => Some(open.pop()?),
            Event::Text(t) => {
                let t = t.unescape().ok()?;
                match open.last_mut() {
                    Some(node) => node.text.push_str(&t),
                    None if t.trim().is_empty() => {}
                    None => return None,
                }
                None
            }
            Event::CData(c) => {
                open.last_mut()?.text.push_str(std::str::from_utf8(&c).ok()?);
                None
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => None,
        };
        if let Some(node) = done {
            match open.last_mut() {
                Some(parent) => parent.children.push(node),
                None if root.is_none() => root = Some(node),
                None => return None,
            }
        }
    }
    if open.is_empty() {
        root
    } else {
        None
    }
}

/// `<AccessControlPolicy>` as GetBucketAcl / GetObjectAcl send it.
#[derive(Serialize)]
struct PolicyOut {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Owner")]
    owner: OwnerOut,
    #[serde(rename = "AccessControlList")]
    list: ListOut,
}

#[derive(Serialize)]
struct OwnerOut {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "DisplayName", skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
}

#[derive(Serialize)]
struct ListOut {
    #[serde(rename = "Grant")]
    grants: Vec<GrantOut>,
}

#[derive(Serialize)]
struct GrantOut {
    #[serde(rename = "Grantee")]
    grantee: GranteeOut,
    #[serde(rename = "Permission")]
    permission: &'static str,
}

#[derive(Serialize)]
struct GranteeOut {
    #[serde(rename = "@xmlns:xsi")]
    xmlns_xsi: &'static str,
    #[serde(rename = "@xsi:type")]
    xsi_type: &'static str,
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "DisplayName", skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(rename = "URI", skip_serializing_if = "Option::is_none")]
    uri: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
    const OTHER: &str = "be0ef7e98d1c3e4b7aa7e9eb4dfd8a5de7f7b3df4e0d4bcdfe42f2d0a8a3b1c2";
    const BUCKET_OWNER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn user(id: &str, p: Permission) -> Grant {
        Grant::user(id, p)
    }

    fn group(g: Group, p: Permission) -> Grant {
        Grant::group(g, p)
    }

    fn headers<'a>(list: &[(&'a str, &'a str)]) -> S3Result<Option<AclRequest>> {
        from_headers(list.iter().copied())
    }

    fn known(id: &str) -> bool {
        [OWNER, OTHER, BUCKET_OWNER].contains(&id)
    }

    fn email(e: &str) -> Option<String> {
        (e == "xyz@amazon.com").then(|| OTHER.to_owned())
    }

    #[test]
    fn canned_table() {
        use Group::{AllUsers, AuthenticatedUsers, LogDelivery};
        use Permission::{FullControl, Read, ReadAcp, Write};
        let fc = user(OWNER, FullControl);
        let cases: [(Canned, Vec<Grant>); 8] = [
            (Canned::Private, vec![fc.clone()]),
            (Canned::PublicRead, vec![fc.clone(), group(AllUsers, Read)]),
            (Canned::PublicReadWrite, vec![fc.clone(), group(AllUsers, Read), group(AllUsers, Write)]),
            (Canned::AuthenticatedRead, vec![fc.clone(), group(AuthenticatedUsers, Read)]),
            (Canned::AwsExecRead, vec![fc.clone(), user(EC2_BUNDLE_READER_ID, Read)]),
            (Canned::BucketOwnerRead, vec![fc.clone(), user(BUCKET_OWNER, Read)]),
            (Canned::BucketOwnerFullControl, vec![fc.clone(), user(BUCKET_OWNER, FullControl)]),
            (Canned::LogDeliveryWrite, vec![fc.clone(), group(LogDelivery, Write), group(LogDelivery, ReadAcp)]),
        ];
        for (canned, grants) in cases {
            assert_eq!(canned.acl(OWNER, BUCKET_OWNER), Acl { owner: OWNER.into(), grants }, "{canned:?}");
            assert_eq!(Canned::parse(canned.as_str()), Some(canned));
        }
        // The bucket owner's own object (or a bucket): nothing is added.
        assert_eq!(Canned::BucketOwnerFullControl.acl(OWNER, OWNER), Acl::owner_full_control(OWNER));
        assert_eq!(Canned::BucketOwnerRead.acl(OWNER, OWNER), Acl::owner_full_control(OWNER));
        assert_eq!(Canned::parse("Private"), None);
        assert_eq!(Canned::parse("public_read"), None);
    }

    #[test]
    fn canned_header() {
        assert_eq!(headers(&[("x-amz-acl", "public-read")]).unwrap(), Some(AclRequest::Canned(Canned::PublicRead)));
        assert_eq!(headers(&[("content-type", "text/plain")]).unwrap(), None);
        let e = headers(&[("x-amz-acl", "public")]).unwrap_err();
        assert_eq!(e.code, S3ErrorCode::InvalidArgument);
        assert!(e.elements.contains(&("ArgumentName", "x-amz-acl".into())));
        let e = headers(&[("x-amz-acl", "private"), ("x-amz-grant-read", "id=\"a\"")]).unwrap_err();
        assert_eq!(e.code, S3ErrorCode::InvalidRequest);
        assert_eq!(e.message, "Specifying both Canned ACLs and Header Grants is not allowed");
    }

    #[test]
    fn grant_headers() {
        let ids = format!("id={OWNER},id=\"{OTHER}\"");
        let got = headers(&[
            ("x-amz-grant-read", "emailAddress=\"xyz@amazon.com\", emailAddress=\"abc@amazon.com\""),
            ("x-amz-grant-write", " uri = \"http://acs.amazonaws.com/groups/s3/LogDelivery\" "),
            ("x-amz-grant-full-control", &ids),
            ("x-amz-grant-read-acp", "uri=http://acs.amazonaws.com/groups/global/AllUsers"),
            ("x-amz-grant-write-acp", "ID=\"abc\""),
        ])
        .unwrap();
        assert_eq!(
            got,
            Some(AclRequest::Grants(vec![
                (GranteeSpec::Email("xyz@amazon.com".into()), Permission::Read),
                (GranteeSpec::Email("abc@amazon.com".into()), Permission::Read),
                (GranteeSpec::Group(Group::LogDelivery), Permission::Write),
                (GranteeSpec::Id(OWNER.into()), Permission::FullControl),
                (GranteeSpec::Id(OTHER.into()), Permission::FullControl),
                (GranteeSpec::Group(Group::AllUsers), Permission::ReadAcp),
                (GranteeSpec::Id("abc".into()), Permission::WriteAcp),
            ]))
        );
    }

    #[test]
    fn grant_header_errors() {
        for bad in ["abc", "id=", "id=\"abc", "id=abc\"", "name=\"x\"", "id=\"a\"b\"", "=x"] {
            let e = headers(&[("x-amz-grant-read", bad)]).unwrap_err();
            assert_eq!(e.code, S3ErrorCode::InvalidArgument, "{bad}");
            assert_eq!(e.message, "Argument format not recognized", "{bad}");
            assert!(e.elements.contains(&("ArgumentName", "x-amz-grant-read".into())));
        }
        let e = headers(&[("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/Nobody\"")]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (S3ErrorCode::InvalidArgument, "Invalid group uri"));
        let many = (0..=MAX_GRANTS).map(|i| format!("id=\"{i}\"")).collect::<Vec<_>>().join(",");
        let e = from_headers([("x-amz-grant-read", many.as_str())].into_iter()).unwrap_err();
        assert_eq!(e.code, S3ErrorCode::MalformedACLError);
    }

    #[test]
    fn allows_and_public() {
        let acl = Acl {
            owner: OWNER.into(),
            grants: vec![
                user(OTHER, Permission::Read),
                user(BUCKET_OWNER, Permission::FullControl),
                group(Group::AuthenticatedUsers, Permission::ReadAcp),
                group(Group::LogDelivery, Permission::Write),
            ],
        };
        let other = Requester::Account { canonical_id: OTHER };
        let bucket_owner = Requester::Account { canonical_id: BUCKET_OWNER };
        let owner = Requester::Account { canonical_id: OWNER };
        assert!(acl.allows(other, Permission::Read));
        assert!(!acl.allows(other, Permission::Write));
        assert!(acl.allows(other, Permission::ReadAcp), "AuthenticatedUsers");
        assert!(!acl.allows(Requester::Anonymous, Permission::ReadAcp));
        assert!(!acl.allows(Requester::Anonymous, Permission::Write), "LogDelivery is nobody");
        assert!(Permission::ALL.into_iter().all(|p| acl.allows(bucket_owner, p)), "FULL_CONTROL");
        assert!(!acl.allows(owner, Permission::Write), "the owner gets nothing implicitly");
        assert!(acl.is_public());
        let private = acl.without_public();
        assert!(!private.is_public());
        assert_eq!(private.grants.len(), 3);
        assert!(!private.allows(owner, Permission::ReadAcp));

        let public = Canned::PublicReadWrite.acl(OWNER, OWNER);
        assert!(public.allows(Requester::Anonymous, Permission::Write));
        assert!(!public.allows(Requester::Anonymous, Permission::ReadAcp));
        assert!(!public.without_public().allows(Requester::Anonymous, Permission::Read));
        assert!(!Canned::LogDeliveryWrite.acl(OWNER, OWNER).is_public());
        assert!(!Canned::AwsExecRead.acl(OWNER, OWNER).is_public());
    }

    #[test]
    fn owner_only() {
        assert!(Acl::owner_full_control(OWNER).is_owner_only(BUCKET_OWNER));
        assert!(Canned::BucketOwnerFullControl.acl(OWNER, BUCKET_OWNER).is_owner_only(BUCKET_OWNER));
        assert!(Canned::Private.acl(BUCKET_OWNER, BUCKET_OWNER).is_owner_only(BUCKET_OWNER));
        assert!(!Canned::BucketOwnerRead.acl(OWNER, BUCKET_OWNER).is_owner_only(BUCKET_OWNER));
        assert!(!Canned::PublicRead.acl(OWNER, BUCKET_OWNER).is_owner_only(BUCKET_OWNER));
        assert!(!Acl { owner: OWNER.into(), grants: vec![] }.is_owner_only(BUCKET_OWNER));
        let third = Acl { owner: OWNER.into(), grants: vec![user(OWNER, Permission::FullControl), user(OTHER, Permission::FullControl)] };
        assert!(!third.is_owner_only(BUCKET_OWNER));
    }

    #[test]
    fn xml_shape() {
        let acl = Canned::PublicRead.acl(OWNER, OWNER);
        let xml = acl.to_xml(&|id| (id == OWNER).then(|| "owner & co".to_owned())).unwrap();
        let expected = format!(
            "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>{OWNER}</ID><DisplayName>owner &amp; co</DisplayName></Owner>\
             <AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>{OWNER}</ID>\
             <DisplayName>owner &amp; co</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>\
             <Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>\
             </Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"), "{xml}");
        assert!(xml.ends_with(&expected), "{xml}");
        // No names known: no DisplayName at all.
        let xml = Acl::owner_full_control(OWNER).to_xml(&|_| None).unwrap();
        assert!(!xml.contains("DisplayName"), "{xml}");
    }

    #[test]
    fn xml_round_trip() {
        let acl = Acl {
            owner: OWNER.into(),
            grants: vec![
                user(OWNER, Permission::FullControl),
                user(OTHER, Permission::WriteAcp),
                group(Group::AllUsers, Permission::Read),
                group(Group::AuthenticatedUsers, Permission::ReadAcp),
                group(Group::LogDelivery, Permission::Write),
                user(EC2_BUNDLE_READER_ID, Permission::Read),
            ],
        };
        for names in [true, false] {
            let xml = acl.to_xml(&|id| names.then(|| format!("name-{}", &id[..4]))).unwrap();
            let AclRequest::Policy { owner, grants } = from_xml_body(xml.as_bytes()).unwrap() else { panic!("not a policy") };
            assert_eq!(owner.as_deref(), Some(OWNER));
            assert_eq!(resolve(grants, OWNER, &email, &known).unwrap(), acl);
        }
        let empty = Acl { owner: OWNER.into(), grants: vec![] };
        let xml = empty.to_xml(&|_| None).unwrap();
        let request = from_xml_body(xml.as_bytes()).unwrap();
        assert_eq!(request, AclRequest::Policy { owner: Some(OWNER.into()), grants: vec![] });
    }

    /// The body the AWS SDKs send (aws-sdk-s3's serializer: AccessControlList before
    /// Owner, DisplayName before ID), pretty-printed.
    #[test]
    fn sdk_body() {
        let body = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <AccessControlList>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">
        <DisplayName>mtd@amazon.com</DisplayName>
        <ID>{OTHER}</ID>
      </Grantee>
      <Permission>FULL_CONTROL</Permission>
    </Grant>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="AmazonCustomerByEmail">
        <EmailAddress>xyz@amazon.com</EmailAddress>
      </Grantee>
      <Permission>WRITE_ACP</Permission>
    </Grant>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">
        <URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>
      </Grantee>
      <Permission>READ</Permission>
    </Grant>
  </AccessControlList>
  <Owner>
    <DisplayName>owner</DisplayName>
    <ID>{OWNER}</ID>
  </Owner>
</AccessControlPolicy>
"#
        );
        let request = from_xml_body(body.as_bytes()).unwrap();
        assert_eq!(
            request,
            AclRequest::Policy {
                owner: Some(OWNER.into()),
                grants: vec![
                    (GranteeSpec::Id(OTHER.into()), Permission::FullControl),
                    (GranteeSpec::Email("xyz@amazon.com".into()), Permission::WriteAcp),
                    (GranteeSpec::Group(Group::AllUsers), Permission::Read),
                ],
            }
        );
        let acl = request.into_acl(OWNER, OWNER, &email, &known).unwrap();
        assert_eq!(acl.grants[1], user(OTHER, Permission::WriteAcp));
    }

    #[test]
    fn bad_bodies() {
        let grant = |grantee: &str, permission: &str| {
            format!(
                "<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner><AccessControlList><Grant>{grantee}<Permission>{permission}</Permission>\
                 </Grant></AccessControlList></AccessControlPolicy>"
            )
        };
        let xsi = |kind: &str, inner: &str| format!("<Grantee xmlns:xsi=\"{XSI_NS}\" xsi:type=\"{kind}\">{inner}</Grantee>");
        let id = format!("<ID>{OTHER}</ID>");
        let malformed = [
            String::new(),
            "not xml".to_owned(),
            "<AccessControlPolicy><Owner>".to_owned(),
            "<Other/>".to_owned(),
            format!("<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner><Bogus/></AccessControlPolicy>"),
            "<AccessControlPolicy><Owner><DisplayName>x</DisplayName></Owner></AccessControlPolicy>".to_owned(),
            "<AccessControlPolicy><AccessControlList><Other/></AccessControlList></AccessControlPolicy>".to_owned(),
            grant(&xsi("CanonicalUser", &id), "FULL_CONTROLL"),
            grant(&xsi("CanonicalUser", &id), "read"),
            grant(&xsi("Canonical User", &id), "READ"),
            grant(&format!("<Grantee>{id}</Grantee>"), "READ"),
            grant(&xsi("CanonicalUser", ""), "READ"),
            grant(&xsi("CanonicalUser", &format!("{id}{id}")), "READ"),
            grant(&xsi("Group", &id), "READ"),
            grant(&xsi("AmazonCustomerByEmail", &id), "READ"),
            grant(&xsi("CanonicalUser", &format!("{id}<Extra/>")), "READ"),
            "<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>".to_owned(),
            format!("<AccessControlPolicy>text<Owner><ID>{OWNER}</ID></Owner></AccessControlPolicy>"),
            format!("<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner></AccessControlPolicy><AccessControlPolicy/>"),
        ];
        for body in &malformed {
            let e = from_xml_body(body.as_bytes()).unwrap_err();
            assert_eq!(e.code, S3ErrorCode::MalformedACLError, "{body}");
        }
        let e =
            from_xml_body(grant(&xsi("Group", "<URI>http://acs.amazonaws.com/groups/global/Nobody</URI>"), "READ").as_bytes()).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (S3ErrorCode::InvalidArgument, "Invalid group uri"));

        let one = format!("<Grant>{}<Permission>READ</Permission></Grant>", xsi("CanonicalUser", &id));
        let list =
            |n: usize| format!("<AccessControlPolicy><AccessControlList>{}</AccessControlList></AccessControlPolicy>", one.repeat(n));
        assert!(from_xml_body(list(MAX_GRANTS).as_bytes()).is_ok());
        assert_eq!(from_xml_body(list(MAX_GRANTS + 1).as_bytes()).unwrap_err().code, S3ErrorCode::MalformedACLError);

        // Another prefix for the XSI namespace, and no Owner at all, are fine.
        let body = "<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:x=\"http://www.w3.org/2001/XMLSchema-instance\" x:type=\"Group\">\
                    <URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI></Grantee><Permission>WRITE</Permission></Grant></AccessControlList></AccessControlPolicy>";
        assert_eq!(
            from_xml_body(body.as_bytes()).unwrap(),
            AclRequest::Policy { owner: None, grants: vec![(GranteeSpec::Group(Group::LogDelivery), Permission::Write)] }
        );
    }

    #[test]
    fn resolve_errors() {
        let e = resolve(vec![(GranteeSpec::Email("nobody@example.com".into()), Permission::Read)], OWNER, &email, &known).unwrap_err();
        assert_eq!(e.code, S3ErrorCode::UnresolvableGrantByEmailAddress);
        let e = resolve(vec![(GranteeSpec::Id("abc".into()), Permission::Read)], OWNER, &email, &known).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (S3ErrorCode::InvalidArgument, "Invalid id"));
        let too_many = vec![(GranteeSpec::Group(Group::AllUsers), Permission::Read); MAX_GRANTS + 1];
        assert_eq!(resolve(too_many, OWNER, &email, &known).unwrap_err().code, S3ErrorCode::MalformedACLError);
        let acl = resolve(vec![(GranteeSpec::Email("xyz@amazon.com".into()), Permission::Read)], OWNER, &email, &known).unwrap();
        assert_eq!(acl, Acl { owner: OWNER.into(), grants: vec![user(OTHER, Permission::Read)] });
    }

    #[test]
    fn stored_form_is_stable() {
        // postcard encodes enum variants by index: this pins the stored bytes.
        let acl =
            Acl { owner: "o".into(), grants: vec![user("u", Permission::ReadAcp), group(Group::LogDelivery, Permission::FullControl)] };
        let bytes = postcard::to_allocvec(&acl).unwrap();
        assert_eq!(bytes, [1, b'o', 2, 0, 1, b'u', 4, 1, 2, 0]);
        assert_eq!(postcard::from_bytes::<Acl>(&bytes).unwrap(), acl);
    }
}
