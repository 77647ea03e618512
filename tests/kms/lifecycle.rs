//! Disabling, rotation and scheduled deletion.

use super::*;

// DisableKey / EnableKey: a disabled key "cannot be used in cryptographic operations"
// (DisabledException on Encrypt, Decrypt, GenerateDataKey*); enabling it again restores
// them: https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html,
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
#[tokio::test]
async fn a_disabled_key_refuses_cryptographic_operations_until_enabled() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "pausable").await;
    let other = new_key(&kms, "untouched").await;
    let id = key.key_id();
    let blob = encrypt(&kms, id, b"before the pause", &[]).await;

    kms.disable_key().key_id(id).send().await.unwrap();
    let disabled = ["DisabledException"];
    assert_kms_error(kms.encrypt().key_id(id).plaintext(Blob::new(b"x".as_slice())).send().await, &disabled);
    assert_kms_error(decrypt(&kms, &blob, &[]).await, &disabled);
    assert_kms_error(kms.generate_data_key().key_id(id).key_spec(DataKeySpec::Aes256).send().await, &disabled);
    assert_kms_error(kms.generate_data_key_without_plaintext().key_id(id).key_spec(DataKeySpec::Aes256).send().await, &disabled);
    // Other keys carry on.
    let theirs = encrypt(&kms, other.key_id(), b"other", &[]).await;
    assert_eq!(plaintext_of(&kms, &theirs, &[]).await, b"other");

    let described = describe(&kms, id).await;
    assert!(!described.enabled());
    assert_eq!(described.key_state(), Some(&KeyState::Disabled));

    kms.enable_key().key_id(id).send().await.unwrap();
    assert_eq!(plaintext_of(&kms, &blob, &[]).await, b"before the pause");
    let described = describe(&kms, id).await;
    assert!(described.enabled());
    assert_eq!(described.key_state(), Some(&KeyState::Enabled));
    // Both are idempotent.
    kms.enable_key().key_id(id).send().await.unwrap();
    kms.disable_key().key_id(id).send().await.unwrap();
    kms.disable_key().key_id(id).send().await.unwrap();
    assert_eq!(describe(&kms, id).await.key_state(), Some(&KeyState::Disabled));
}

// Rotation: "KMS retains all key material for the KMS key ... to decrypt data encrypted
// under any of its key material" (RotateKeyOnDemand: "regardless of whether or not
// automatic key rotation is enabled"); EnableKeyRotation RotationPeriodInDays 90-2560,
// default 365: https://docs.aws.amazon.com/kms/latest/APIReference/API_RotateKeyOnDemand.html,
// API_EnableKeyRotation.html, API_GetKeyRotationStatus.html
#[tokio::test]
async fn rotated_keys_still_decrypt_what_they_encrypted_before() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "rotating").await;
    let id = key.key_id();
    let status = kms.get_key_rotation_status().key_id(id).send().await.unwrap();
    assert!(!status.key_rotation_enabled(), "rotation is off on a new key");

    // On demand, rotation enabled or not.
    let first = encrypt(&kms, id, b"first material", &[("n", "1")]).await;
    let data_key = kms.generate_data_key().key_id(id).key_spec(DataKeySpec::Aes256).send().await.unwrap();
    let rotated = kms.rotate_key_on_demand().key_id(id).send().await.unwrap();
    assert_eq!(rotated.key_id(), key.arn());
    let second = encrypt(&kms, id, b"second material", &[("n", "2")]).await;
    kms.rotate_key_on_demand().key_id(id).send().await.unwrap();
    let third = encrypt(&kms, id, b"third material", &[("n", "3")]).await;
    assert_eq!(plaintext_of(&kms, &first, &[("n", "1")]).await, b"first material");
    assert_eq!(plaintext_of(&kms, &second, &[("n", "2")]).await, b"second material");
    assert_eq!(plaintext_of(&kms, &third, &[("n", "3")]).await, b"third material");
    assert_eq!(plaintext_of(&kms, data_key.ciphertext_blob().unwrap().as_ref(), &[]).await, data_key.plaintext().unwrap().as_ref());
    let old = decrypt(&kms, &first, &[("n", "1")]).await.unwrap();
    assert_eq!(old.key_id(), key.arn(), "still the same key");
    assert_eq!(describe(&kms, id).await.key_id(), id);
    // A tampered old ciphertext is still refused after rotations.
    let mut bad = first.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x80;
    assert_kms_error(decrypt(&kms, &bad, &[("n", "1")]).await, &["InvalidCiphertextException"]);

    // Automatic rotation: on, off.
    kms.enable_key_rotation().key_id(id).send().await.unwrap();
    let status = kms.get_key_rotation_status().key_id(id).send().await.unwrap();
    assert!(status.key_rotation_enabled());
    kms.disable_key_rotation().key_id(id).send().await.unwrap();
    assert!(!kms.get_key_rotation_status().key_id(id).send().await.unwrap().key_rotation_enabled());
    assert_eq!(plaintext_of(&kms, &first, &[("n", "1")]).await, b"first material");

    // The rotation period: 365 days by default, 90 to 2560 when given.
    kms.enable_key_rotation().key_id(id).send().await.unwrap();
    let status = kms.get_key_rotation_status().key_id(id).send().await.unwrap();
    assert_eq!(status.rotation_period_in_days(), Some(365));
    kms.enable_key_rotation().key_id(id).rotation_period_in_days(180).send().await.unwrap();
    let status = kms.get_key_rotation_status().key_id(id).send().await.unwrap();
    assert_eq!(status.rotation_period_in_days(), Some(180));
    assert_kms_error(kms.enable_key_rotation().key_id(id).rotation_period_in_days(89).send().await, &["ValidationException"]);
    assert_kms_error(kms.enable_key_rotation().key_id(id).rotation_period_in_days(2561).send().await, &["ValidationException"]);
}

// ScheduleKeyDeletion: PendingWindowInDays 7-30 (default 30) → KeyState PendingDeletion,
// DeletionDate; a key pending deletion is KMSInvalidStateException for cryptographic
// operations; CancelKeyDeletion leaves it Disabled:
// https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html,
// API_CancelKeyDeletion.html ("the key state of the KMS key is Disabled"),
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
#[tokio::test]
async fn deletion_is_scheduled_and_can_be_cancelled() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "doomed").await;
    let id = key.key_id();
    let blob = encrypt(&kms, id, b"keep me", &[]).await;

    let invalid = ["ValidationException"];
    assert_kms_error(kms.schedule_key_deletion().key_id(id).pending_window_in_days(6).send().await, &invalid);
    assert_kms_error(kms.schedule_key_deletion().key_id(id).pending_window_in_days(31).send().await, &invalid);
    assert_eq!(describe(&kms, id).await.key_state(), Some(&KeyState::Enabled), "refused schedules changed nothing");

    let before = now_secs();
    let scheduled = kms.schedule_key_deletion().key_id(id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(scheduled.key_id(), key.arn());
    assert_eq!(scheduled.key_state(), Some(&KeyState::PendingDeletion));
    let deletion = scheduled.deletion_date().expect("DeletionDate").secs();
    assert!((before + 7 * DAY - 60..=now_secs() + 8 * DAY).contains(&deletion), "DeletionDate {deletion}, now {before}");

    let state = ["KMSInvalidStateException"];
    assert_kms_error(kms.encrypt().key_id(id).plaintext(Blob::new(b"x".as_slice())).send().await, &state);
    assert_kms_error(decrypt(&kms, &blob, &[]).await, &state);
    assert_kms_error(kms.generate_data_key().key_id(id).key_spec(DataKeySpec::Aes256).send().await, &state);
    assert_kms_error(kms.enable_key().key_id(id).send().await, &state);
    let pending = describe(&kms, id).await;
    assert_eq!(pending.key_state(), Some(&KeyState::PendingDeletion));
    assert!(!pending.enabled());
    assert_eq!(pending.deletion_date().map(aws_sdk_kms::primitives::DateTime::secs), Some(deletion));

    let cancelled = kms.cancel_key_deletion().key_id(id).send().await.unwrap();
    assert_eq!(cancelled.key_id(), key.arn());
    let back = describe(&kms, id).await;
    assert_eq!(back.key_state(), Some(&KeyState::Disabled));
    assert!(!back.enabled());
    assert!(back.deletion_date().is_none());
    assert_kms_error(decrypt(&kms, &blob, &[]).await, &["DisabledException"]);
    kms.enable_key().key_id(id).send().await.unwrap();
    assert_eq!(plaintext_of(&kms, &blob, &[]).await, b"keep me");

    // Without a window: 30 days. The scheduled response echoes the window.
    let before = now_secs();
    let scheduled = kms.schedule_key_deletion().key_id(id).send().await.unwrap();
    let deletion = scheduled.deletion_date().expect("DeletionDate").secs();
    assert!((before + 30 * DAY - 60..=now_secs() + 31 * DAY).contains(&deletion), "DeletionDate {deletion}, now {before}");
    assert_eq!(scheduled.pending_window_in_days(), Some(30));
}
