//! Who may use a key: identity policies, other accounts; keys across a restart.

use super::*;

// Identity policies: "kms:Encrypt" and "kms:Decrypt" are separate permissions on the key
// ARN; aliases in a request do not change the resource (the key); an explicit deny wins:
// https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html
#[tokio::test]
async fn a_user_allowed_to_encrypt_cannot_decrypt() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "inbox").await;
    let other = new_key(&kms, "other").await;
    kms.create_alias().alias_name("alias/inbox").target_key_id(key.key_id()).send().await.unwrap();
    let arn = key.arn().unwrap();
    let writer = user_kms(&srv, "writer", &allow(&["kms:Encrypt"], &[arn])).await;

    let mut blobs = Vec::new();
    for id in [key.key_id(), arn, "alias/inbox"] {
        let out = writer.encrypt().key_id(id).plaintext(Blob::new(b"drop-box".as_slice())).send().await.unwrap();
        assert_eq!(out.key_id(), Some(arn));
        blobs.push(out.ciphertext_blob.unwrap().into_inner());
    }
    let denied = ["AccessDeniedException"];
    assert_kms_error(decrypt(&writer, &blobs[0], &[]).await, &denied);
    assert_kms_error(writer.generate_data_key().key_id(key.key_id()).key_spec(DataKeySpec::Aes256).send().await, &denied);
    assert_kms_error(writer.encrypt().key_id(other.key_id()).plaintext(Blob::new(b"x".as_slice())).send().await, &denied);
    assert_kms_error(writer.describe_key().key_id(key.key_id()).send().await, &denied);
    assert_kms_error(writer.disable_key().key_id(key.key_id()).send().await, &denied);
    assert_kms_error(writer.schedule_key_deletion().key_id(key.key_id()).send().await, &denied);
    assert_kms_error(writer.create_key().send().await, &denied);
    assert_kms_error(writer.list_keys().send().await, &denied);
    // The refused requests changed nothing; the root reads what the writer wrote.
    assert_eq!(describe(&kms, key.key_id()).await.key_state(), Some(&KeyState::Enabled));
    for blob in &blobs {
        assert_eq!(plaintext_of(&kms, blob, &[]).await, b"drop-box");
    }

    // Allowed to decrypt too, it can; an explicit deny takes it back.
    set_user_policy(&srv, "writer", "decrypt", &allow(&["kms:Decrypt"], &[arn])).await;
    assert_eq!(plaintext_of(&writer, &blobs[0], &[]).await, b"drop-box");
    set_user_policy(&srv, "writer", "deny", &statement("Deny", &["kms:Decrypt"], &["*"])).await;
    assert_kms_error(decrypt(&writer, &blobs[0], &[]).await, &denied);
    writer.encrypt().key_id(key.key_id()).plaintext(Blob::new(b"still".as_slice())).send().await.unwrap();
}

// CreateKey, ListKeys and ListAliases are authorized on "*"; the others on the key ARN
// (wildcards allowed in both Action and Resource); the account owns the keys its users
// create: https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html
#[tokio::test]
async fn identity_policies_govern_key_management() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let account = account_id(&srv).await;
    let root_key = new_key(&kms, "root's").await;
    let admin = user_kms(&srv, "keyadmin", "").await;
    let denied = ["AccessDeniedException"];
    assert_kms_error(admin.create_key().send().await, &denied);
    assert_kms_error(admin.list_keys().send().await, &denied);
    assert_kms_error(admin.list_aliases().send().await, &denied);
    assert_kms_error(admin.describe_key().key_id(root_key.key_id()).send().await, &denied);

    let all_keys = format!("arn:aws:kms:us-east-1:{account}:key/*");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
          {{"Effect":"Allow","Action":["kms:CreateKey","kms:ListKeys","kms:ListAliases"],"Resource":"*"}},
          {{"Effect":"Allow","Action":["kms:DescribeKey","kms:*Key","kms:Get*"],"Resource":"{all_keys}"}}]}}"#
    );
    set_user_policy(&srv, "keyadmin", "p", &policy).await;
    let made = admin.create_key().description("admin's").send().await.unwrap().key_metadata.unwrap();
    assert_eq!(made.aws_account_id(), Some(account.as_str()), "the key belongs to the user's account");
    let listed = admin.list_keys().send().await.unwrap();
    let mut ids: Vec<&str> = listed.keys().iter().map(|k| k.key_id().unwrap()).collect();
    ids.sort_unstable();
    let mut expected = [root_key.key_id(), made.key_id()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    admin.list_aliases().send().await.unwrap();
    assert_eq!(describe(&admin, root_key.key_id()).await.key_id(), root_key.key_id());
    // kms:*Key covers DisableKey and EnableKey; kms:Get* GetKeyRotationStatus.
    admin.disable_key().key_id(root_key.key_id()).send().await.unwrap();
    assert_eq!(describe(&kms, root_key.key_id()).await.key_state(), Some(&KeyState::Disabled));
    admin.enable_key().key_id(root_key.key_id()).send().await.unwrap();
    admin.get_key_rotation_status().key_id(made.key_id()).send().await.unwrap();
    // Nothing else.
    assert_kms_error(admin.schedule_key_deletion().key_id(made.key_id()).send().await, &denied);
    assert_kms_error(admin.encrypt().key_id(made.key_id()).plaintext(Blob::new(b"x".as_slice())).send().await, &denied);
    assert_kms_error(admin.enable_key_rotation().key_id(made.key_id()).send().await, &denied);
    // The root may do everything with the user's key.
    let blob = encrypt(&kms, made.key_id(), b"root uses it", &[]).await;
    assert_eq!(plaintext_of(&kms, &blob, &[]).await, b"root uses it");
}

// "kms:CreateAlias on the alias (IAM policy)" and "kms:CreateAlias on the KMS key (key
// policy)"; with no key policies, both come from the identity policy:
// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html (Required permissions)
#[tokio::test]
async fn create_alias_needs_permission_on_the_alias_and_the_key() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let account = account_id(&srv).await;
    let key = new_key(&kms, "aliased").await;
    let key_arn = key.arn().unwrap();
    let alias_arn = format!("arn:aws:kms:us-east-1:{account}:alias/team");
    let user = user_kms(&srv, "namer", &allow(&["kms:CreateAlias"], &[alias_arn.as_str()])).await;
    let create = || user.create_alias().alias_name("alias/team").target_key_id(key.key_id()).send();
    assert_kms_error(create().await, &["AccessDeniedException"]);
    set_user_policy(&srv, "namer", "p", &allow(&["kms:CreateAlias"], &[key_arn])).await;
    assert_kms_error(create().await, &["AccessDeniedException"]);
    assert_kms_error(kms.describe_key().key_id("alias/team").send().await, &["NotFoundException"]);
    set_user_policy(&srv, "namer", "p", &allow(&["kms:CreateAlias"], &[key_arn, alias_arn.as_str()])).await;
    create().await.unwrap();
    assert_eq!(describe(&kms, "alias/team").await.key_id(), key.key_id());
}

// There are no key policies, so nothing grants another account the use of a key:
// "To perform this operation on a KMS key in a different AWS account, ... the key policy
// must give the caller permission" (Encrypt, Decrypt, DescribeKey); alias names resolve
// in the caller's account ("you must use the key ARN or alias ARN" for another account's
// key): https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html
#[tokio::test]
async fn another_account_can_neither_see_nor_use_the_keys() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let account = account_id(&srv).await;
    let key = new_key(&kms, "ours").await;
    let arn = key.arn().unwrap();
    kms.create_alias().alias_name("alias/ours").target_key_id(key.key_id()).send().await.unwrap();
    let blob = encrypt(&kms, key.key_id(), b"ours only", &[]).await;
    let (ak, sk) = other_account(&srv, "globex").await;
    let theirs = kms_client(&srv.endpoint, &ak, &sk, None);

    assert!(theirs.list_keys().send().await.unwrap().keys().is_empty());
    assert!(theirs.list_aliases().send().await.unwrap().aliases().iter().all(|a| a.alias_name() != Some("alias/ours")));
    let refused = ["AccessDeniedException", "NotFoundException"];
    let alias_arn = format!("arn:aws:kms:us-east-1:{account}:alias/ours");
    for id in [arn, key.key_id(), alias_arn.as_str()] {
        assert_kms_error(theirs.describe_key().key_id(id).send().await, &refused);
        assert_kms_error(theirs.encrypt().key_id(id).plaintext(Blob::new(b"x".as_slice())).send().await, &refused);
        assert_kms_error(theirs.generate_data_key().key_id(id).key_spec(DataKeySpec::Aes256).send().await, &refused);
    }
    assert_kms_error(decrypt(&theirs, &blob, &[]).await, &refused);
    assert_kms_error(theirs.decrypt().ciphertext_blob(Blob::new(blob.clone())).key_id(arn).send().await, &refused);
    assert_kms_error(theirs.disable_key().key_id(arn).send().await, &refused);
    assert_kms_error(theirs.schedule_key_deletion().key_id(arn).send().await, &refused);
    assert_kms_error(theirs.update_alias().alias_name("alias/ours").target_key_id(arn).send().await, &refused);
    assert_kms_error(theirs.describe_key().key_id("alias/ours").send().await, &["NotFoundException"]);

    // Their own key may have the same alias name: aliases are per account.
    let own = new_key(&theirs, "theirs").await;
    assert_ne!(own.aws_account_id(), Some(account.as_str()));
    theirs.create_alias().alias_name("alias/ours").target_key_id(own.key_id()).send().await.unwrap();
    assert_eq!(describe(&theirs, "alias/ours").await.key_id(), own.key_id());
    assert_eq!(describe(&kms, "alias/ours").await.key_id(), key.key_id());
    // Their key is theirs alone as well.
    let their_blob = encrypt(&theirs, own.key_id(), b"theirs", &[]).await;
    assert_kms_error(decrypt(&kms, &their_blob, &[]).await, &refused);

    // Nothing of ours changed.
    let ours = describe(&kms, key.key_id()).await;
    assert_eq!(ours.key_state(), Some(&KeyState::Enabled));
    assert_eq!(plaintext_of(&kms, &blob, &[]).await, b"ours only");
}

// Keys, their material (all of it, after rotations), states, aliases and deletion
// schedule are durable: a restart loses nothing.
#[tokio::test]
async fn keys_survive_a_restart() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let kept = new_key(&kms, "kept").await;
    kms.create_alias().alias_name("alias/kept").target_key_id(kept.key_id()).send().await.unwrap();
    kms.enable_key_rotation().key_id(kept.key_id()).send().await.unwrap();
    let ctx = [("app", "ledger")];
    let before_rotation = encrypt(&kms, "alias/kept", b"before rotation", &ctx).await;
    kms.rotate_key_on_demand().key_id(kept.key_id()).send().await.unwrap();
    let after_rotation = encrypt(&kms, "alias/kept", b"after rotation", &ctx).await;
    let data_key = kms.generate_data_key().key_id(kept.key_id()).key_spec(DataKeySpec::Aes256).send().await.unwrap();
    let off = new_key(&kms, "off").await;
    kms.disable_key().key_id(off.key_id()).send().await.unwrap();
    let doomed = new_key(&kms, "doomed").await;
    let scheduled = kms.schedule_key_deletion().key_id(doomed.key_id()).pending_window_in_days(10).send().await.unwrap();
    let deletion = scheduled.deletion_date().unwrap().secs();
    let kept = describe(&kms, kept.key_id()).await;

    let TestServer { server, dir, .. } = srv;
    server.stop().await;
    let srv = TestServer::start_in(dir, &[]).await;
    let kms = root_kms(&srv);

    assert_eq!(plaintext_of(&kms, &before_rotation, &ctx).await, b"before rotation");
    assert_eq!(plaintext_of(&kms, &after_rotation, &ctx).await, b"after rotation");
    assert_eq!(plaintext_of(&kms, data_key.ciphertext_blob().unwrap().as_ref(), &[]).await, data_key.plaintext().unwrap().as_ref());
    assert_eq!(describe(&kms, "alias/kept").await, kept);
    let fresh = encrypt(&kms, "alias/kept", b"after restart", &ctx).await;
    assert_eq!(plaintext_of(&kms, &fresh, &ctx).await, b"after restart");
    assert!(kms.get_key_rotation_status().key_id(kept.key_id()).send().await.unwrap().key_rotation_enabled());

    assert_eq!(describe(&kms, off.key_id()).await.key_state(), Some(&KeyState::Disabled));
    assert_kms_error(kms.encrypt().key_id(off.key_id()).plaintext(Blob::new(b"x".as_slice())).send().await, &["DisabledException"]);
    let pending = describe(&kms, doomed.key_id()).await;
    assert_eq!(pending.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(pending.deletion_date().map(aws_sdk_kms::primitives::DateTime::secs), Some(deletion));
    assert_eq!(kms.list_keys().send().await.unwrap().keys().len(), 3);
    let aliases = kms.list_aliases().key_id(kept.key_id()).send().await.unwrap();
    assert_eq!(aliases.aliases().iter().map(|a| a.alias_name().unwrap()).collect::<Vec<_>>(), ["alias/kept"]);
}

/// Request condition keys reach KMS policies: the user guide's "deny unless TLS"
/// (`aws:SecureTransport`) denies over plain HTTP, and `kms:EncryptionContext:<key>` /
/// `kms:RequestAlias` conditions decide as written.
#[tokio::test]
async fn condition_keys_apply_to_kms_requests() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "ctx").await;
    kms.create_alias().alias_name("alias/app").target_key_id(key.key_id()).send().await.unwrap();
    let arn = key.arn().unwrap();
    let tls_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},
        {"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    let plain_http = user_kms(&srv, "tls-only", tls_only).await;
    assert_kms_error(plain_http.describe_key().key_id(arn).send().await, &["AccessDeniedException"]);
    let tenant = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"{arn}",
        "Condition":{{"StringEquals":{{"kms:EncryptionContext:tenant":"acme"}}}}}}]}}"#
    );
    let scoped = user_kms(&srv, "scoped", &tenant).await;
    let blob = encrypt(&scoped, arn, b"acme data", &[("tenant", "acme")]).await;
    assert_eq!(plaintext_of(&scoped, &blob, &[("tenant", "acme")]).await, b"acme data");
    assert_kms_error(
        scoped
            .encrypt()
            .key_id(arn)
            .plaintext(Blob::new(b"x".as_slice()))
            .set_encryption_context(context(&[("tenant", "other")]))
            .send()
            .await,
        &["AccessDeniedException"],
    );
    assert_kms_error(scoped.encrypt().key_id(arn).plaintext(Blob::new(b"x".as_slice())).send().await, &["AccessDeniedException"]);
    let by_alias = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"kms:Encrypt","Resource":"{arn}",
        "Condition":{{"StringEquals":{{"kms:RequestAlias":"alias/app"}}}}}}]}}"#
    );
    let aliased = user_kms(&srv, "aliased", &by_alias).await;
    aliased.encrypt().key_id("alias/app").plaintext(Blob::new(b"x".as_slice())).send().await.unwrap();
    assert_kms_error(aliased.encrypt().key_id(arn).plaintext(Blob::new(b"x".as_slice())).send().await, &["AccessDeniedException"]);
    srv.server.stop().await;
}

/// UpdateAlias needs the permission on the key the alias points to now, not only on the
/// new target: a user who may use only its own key cannot redirect another key's alias
/// to it (AWS: kms:UpdateAlias on the alias, the current key and the new key).
#[tokio::test]
async fn an_alias_is_not_redirected_without_permission_on_its_key() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let prod = new_key(&kms, "prod").await;
    let mine = new_key(&kms, "mine").await;
    kms.create_alias().alias_name("alias/prod").target_key_id(prod.key_id()).send().await.unwrap();
    let alias_arn = format!("arn:aws:kms:us-east-1:{}:alias/*", account_id(&srv).await);
    let user = user_kms(&srv, "mover", &allow(&["kms:UpdateAlias", "kms:DeleteAlias"], &[&alias_arn, mine.arn().unwrap()])).await;
    assert_kms_error(user.update_alias().alias_name("alias/prod").target_key_id(mine.key_id()).send().await, &["AccessDeniedException"]);
    assert_kms_error(user.delete_alias().alias_name("alias/prod").send().await, &["AccessDeniedException"]);
    assert_eq!(describe(&kms, "alias/prod").await.key_id(), prod.key_id(), "the alias still names the production key");
    // Unsupported request options are refused, not ignored.
    assert_kms_error(
        kms.encrypt().key_id(prod.key_id()).plaintext(Blob::new(b"x".as_slice())).dry_run(true).send().await,
        &["UnsupportedOperationException"],
    );
    srv.server.stop().await;
}

/// An account that still has a KMS key cannot be deleted (its key material, and so
/// everything the key encrypted, would go with it), nor while the key's deletion is only
/// scheduled.
#[tokio::test]
async fn an_account_with_keys_is_not_deleted() {
    let srv = TestServer::start().await;
    let (ak, sk) = other_account(&srv, "keyholder").await;
    let theirs = common::identity::kms_client(&srv.endpoint, &ak, &sk, None);
    let key = new_key(&theirs, "theirs").await;
    let config = coffer::config::Config::from_toml(coffer::config::DEFAULT_TOML, &[]).unwrap();
    let delete = coffer::admin::cli::Command {
        endpoint: Some(srv.admin_endpoint()),
        ..coffer::admin::cli::parse(&["account".into(), "delete".into(), "keyholder".into()]).unwrap()
    };
    let refused = coffer::admin::cli::run(&delete, &config).await.unwrap_err();
    assert!(refused.contains("DeleteConflict") && refused.contains("KMS"), "{refused}");
    theirs.schedule_key_deletion().key_id(key.key_id()).pending_window_in_days(7).send().await.unwrap();
    assert!(coffer::admin::cli::run(&delete, &config).await.unwrap_err().contains("DeleteConflict"), "pending is not deleted yet");
    assert_eq!(describe(&theirs, key.key_id()).await.key_state(), Some(&KeyState::PendingDeletion), "the refusal changed nothing");
    srv.server.stop().await;
}
