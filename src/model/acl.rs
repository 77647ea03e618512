//! Access control lists as stored with buckets and object versions: an owner (canonical
//! user id) and its grants. Parsing, canned ACLs and evaluation live in
//! `crate::bucket_access::acl`; this is the stored form only.

use serde::{Deserialize, Serialize};

/// An ACL permission.
///
/// Stored in postcard records, which encode the variant's index: never reorder or
/// remove variants, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// `FULL_CONTROL`: every other permission.
    FullControl,
    /// `WRITE`: create objects in the bucket (meaningless on an object).
    Write,
    /// `WRITE_ACP`: replace the ACL.
    WriteAcp,
    /// `READ`: list the bucket, or read the object.
    Read,
    /// `READ_ACP`: read the ACL.
    ReadAcp,
}

impl Permission {
    /// Every permission, in the order of the enum.
    pub const ALL: [Permission; 5] =
        [Permission::FullControl, Permission::Write, Permission::WriteAcp, Permission::Read, Permission::ReadAcp];

    /// The permission's XML name (`FULL_CONTROL`, `WRITE`, `WRITE_ACP`, `READ`, `READ_ACP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::FullControl => "FULL_CONTROL",
            Permission::Write => "WRITE",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::Read => "READ",
            Permission::ReadAcp => "READ_ACP",
        }
    }

    /// The permission an XML name names (exact, upper case, as S3's schema).
    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether a grant of `self` gives `wanted`: the same permission, or FULL_CONTROL.
    pub fn covers(self, wanted: Permission) -> bool {
        self == wanted || self == Permission::FullControl
    }
}

/// One of S3's predefined groups.
///
/// Stored in postcard records (variant index): never reorder, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Group {
    /// Everyone, signed or anonymous.
    AllUsers,
    /// Every request signed by an account.
    AuthenticatedUsers,
    /// S3's server access log delivery; no requester here is in it.
    LogDelivery,
}

impl Group {
    /// Every group, in the order of the enum.
    pub const ALL: [Group; 3] = [Group::AllUsers, Group::AuthenticatedUsers, Group::LogDelivery];

    /// The group's URI, as ACL documents and grant headers name it.
    pub fn uri(self) -> &'static str {
        match self {
            Group::AllUsers => "http://acs.amazonaws.com/groups/global/AllUsers",
            Group::AuthenticatedUsers => "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
            Group::LogDelivery => "http://acs.amazonaws.com/groups/s3/LogDelivery",
        }
    }

    /// The group a URI names (exact match).
    pub fn from_uri(uri: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.uri() == uri)
    }

    /// Whether a grant to this group makes a resource public (Block Public Access's
    /// meaning: AllUsers or AuthenticatedUsers).
    pub fn is_public(self) -> bool {
        matches!(self, Group::AllUsers | Group::AuthenticatedUsers)
    }
}

/// Who a stored grant goes to. Emails are resolved before storing, as S3 does.
///
/// Stored in postcard records (variant index): never reorder, only append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// An account, by its canonical id (64 hex digits).
    CanonicalUser(String),
    /// A predefined group.
    Group(Group),
}

/// One grant of an ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Who gets the permission.
    pub grantee: Grantee,
    /// The permission given.
    pub permission: Permission,
}

impl Grant {
    /// A grant to the account `canonical_id`.
    pub fn user(canonical_id: &str, permission: Permission) -> Grant {
        Grant { grantee: Grantee::CanonicalUser(canonical_id.to_owned()), permission }
    }

    /// A grant to a group.
    pub fn group(group: Group, permission: Permission) -> Grant {
        Grant { grantee: Grantee::Group(group), permission }
    }
}

/// A stored ACL: owner canonical id + grants (stored in postcard records: keep it plain
/// serde, no skip_serializing_if).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    /// Canonical id of the resource's owner (the `<Owner>` of the document).
    pub owner: String,
    /// The grants, in the order they were given (duplicates kept, as S3 keeps them).
    pub grants: Vec<Grant>,
}
