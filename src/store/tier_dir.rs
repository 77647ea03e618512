//! Tier directories carry a marker file naming their storage class, so that a tier
//! disk that is not mounted (an empty mount point) or two tiers swapped in the
//! configuration stop start-up instead of serving errors and scattering new blobs.

use std::io::Write as _;
use std::path::Path;

use super::{StoreError, StoreResult};

/// The marker file in a tier directory; it holds the class name.
const MARKER: &str = "coffer-tier";

/// Checks (and on first use creates) the marker of the tier for `class` in `dir`.
/// `used_before`: this store has had a tier for `class`.
pub(super) fn check(class: &str, dir: &Path, used_before: bool) -> StoreResult<()> {
    let marker = dir.join(MARKER);
    match std::fs::read_to_string(&marker) {
        Ok(found) if found.trim() == class => return Ok(()),
        Ok(found) => {
            return Err(StoreError::TierMissing(format!(
                "{class}={}: that directory holds the {} tier; check the classes and directories",
                dir.display(),
                found.trim()
            )))
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        Err(_) => {}
    }
    // A tier used before markers existed has its blobs there already: mark it.
    let has_blobs = std::fs::read_dir(dir.join("blobs")).is_ok_and(|mut d| d.next().is_some());
    if used_before && !has_blobs {
        return Err(StoreError::TierMissing(format!(
            "{class}={}: this store has kept {class} objects there, but the directory has no {MARKER} marker and no blobs; \
             is its disk mounted?",
            dir.display()
        )));
    }
    crate::fsync::create_dir_all(dir)?;
    let mut file = std::fs::File::create(&marker)?;
    file.write_all(format!("{class}\n").as_bytes())?;
    file.sync_all()?;
    crate::fsync::sync_dir(dir)?;
    Ok(())
}
