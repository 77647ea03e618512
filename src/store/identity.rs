//! Account records (accounts with their IAM entities) and KMS records (each account's
//! keys), stored as opaque bytes chosen by the layer above (`iam`, `kms`), durable before
//! a change is answered.

use super::{Store, StoreResult};
use crate::meta::{keys, Batch};

impl Store {
    /// Every account record: (account id, record bytes).
    pub fn account_records(&self) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let (start, end) = keys::account_range();
        let entries = self.meta.scan(&start, Some(&end), usize::MAX)?;
        Ok(entries.into_iter().map(|(k, v)| (String::from_utf8_lossy(&k[1..]).into_owned(), v)).collect())
    }

    /// Sets (`Some`) or removes (`None`) an account record; returns once it is durable
    /// (a failed flush rolls it back).
    pub async fn set_account_record(&self, id: &str, value: Option<Vec<u8>>) -> StoreResult<()> {
        {
            let _guard = self.locked();
            let mut batch = Batch::new();
            match value {
                Some(v) => batch.put(keys::account(id), v),
                None => batch.delete(keys::account(id)),
            }
            self.apply(&batch)?;
        }
        self.durable().await
    }
}

impl Store {
    /// Every KMS record (one per account): (account id, record bytes).
    pub fn kms_records(&self) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let (start, end) = keys::kms_range();
        let entries = self.meta.scan(&start, Some(&end), usize::MAX)?;
        Ok(entries.into_iter().map(|(k, v)| (String::from_utf8_lossy(&k[1..]).into_owned(), v)).collect())
    }

    /// Sets an account's KMS record; returns once it is durable.
    pub async fn set_kms_record(&self, account: &str, value: Vec<u8>) -> StoreResult<()> {
        {
            let _guard = self.locked();
            let mut batch = Batch::new();
            batch.put(keys::kms(account), value);
            self.apply(&batch)?;
        }
        self.durable().await
    }
}
