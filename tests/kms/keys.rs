//! Keys and aliases: creation, refusals, description, listing.

use super::*;

// CreateKey: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html
// (response KeyMetadata: https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html)
#[tokio::test]
async fn create_key_returns_the_metadata_aws_returns() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let account = account_id(&srv).await;
    let before = now_secs();
    let key = new_key(&kms, "backups").await;
    let id = key.key_id();
    assert!(is_key_id(id), "key id {id}");
    assert_eq!(key.arn(), Some(format!("arn:aws:kms:us-east-1:{account}:key/{id}").as_str()));
    assert_eq!(key.aws_account_id(), Some(account.as_str()));
    assert!(key.enabled());
    assert_eq!(key.key_state(), Some(&KeyState::Enabled));
    assert_eq!(key.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(key.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(key.origin(), Some(&OriginType::AwsKms));
    assert_eq!(key.key_manager(), Some(&KeyManagerType::Customer));
    assert_eq!(key.description(), Some("backups"));
    assert_eq!(key.encryption_algorithms(), [EncryptionAlgorithmSpec::SymmetricDefault]);
    assert!(key.deletion_date().is_none());
    let created = key.creation_date().expect("CreationDate").secs();
    assert!((before - 5..=now_secs() + 5).contains(&created), "CreationDate {created}, now {before}");

    // DescribeKey tells the same.
    assert_eq!(describe(&kms, id).await, key);

    // The defaults, spelled out, make the same kind of key; every key has its own id.
    let explicit = kms
        .create_key()
        .key_usage(KeyUsageType::EncryptDecrypt)
        .key_spec(KeySpec::SymmetricDefault)
        .origin(OriginType::AwsKms)
        .multi_region(false)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_ne!(explicit.key_id(), id);
    assert_eq!(explicit.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(explicit.key_state(), Some(&KeyState::Enabled));

    // AWS returns MultiRegion false for a single-Region key.
    assert_eq!(key.multi_region(), Some(false));
}

// Coffer has symmetric keys only, and no key policies, tags or imported/external key
// material: a request for any of them is refused, never half-honoured (the lead's
// design; UnsupportedOperationException is in CreateKey's documented errors).
#[tokio::test]
async fn create_key_refuses_what_coffer_cannot_honour() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let unsupported = ["UnsupportedOperationException"];
    assert_kms_error(kms.create_key().key_spec(KeySpec::Rsa2048).send().await, &unsupported);
    assert_kms_error(kms.create_key().key_usage(KeyUsageType::SignVerify).key_spec(KeySpec::EccNistP256).send().await, &unsupported);
    assert_kms_error(kms.create_key().key_usage(KeyUsageType::GenerateVerifyMac).key_spec(KeySpec::Hmac256).send().await, &unsupported);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
    assert_kms_error(kms.create_key().policy(policy).send().await, &unsupported);
    let tag = Tag::builder().tag_key("team").tag_value("storage").build().unwrap();
    assert_kms_error(kms.create_key().tags(tag).send().await, &unsupported);
    assert_kms_error(kms.create_key().origin(OriginType::External).send().await, &unsupported);
    assert_kms_error(kms.create_key().multi_region(true).send().await, &unsupported);
    // Nothing was created by the refused requests.
    let keys = kms.list_keys().send().await.unwrap();
    assert!(keys.keys().is_empty(), "{:?}", keys.keys());
}

// DescribeKey KeyId: "key ID, key ARN, alias name, or alias ARN"; an unknown key is
// NotFoundException: https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
#[tokio::test]
async fn describe_key_by_id_arn_alias_and_alias_arn() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let account = account_id(&srv).await;
    let key = new_key(&kms, "photos").await;
    kms.create_alias().alias_name("alias/photos").target_key_id(key.key_id()).send().await.unwrap();
    let arn = key.arn().unwrap();
    let alias_arn = format!("arn:aws:kms:us-east-1:{account}:alias/photos");
    for name in [key.key_id(), arn, "alias/photos", alias_arn.as_str()] {
        assert_eq!(describe(&kms, name).await, key, "DescribeKey {name}");
    }
    let unknown_arn = format!("arn:aws:kms:us-east-1:{account}:key/{UNKNOWN_KEY}");
    let unknown_alias_arn = format!("arn:aws:kms:us-east-1:{account}:alias/nothing");
    for name in [UNKNOWN_KEY, unknown_arn.as_str(), "alias/nothing", unknown_alias_arn.as_str(), "not-a-key"] {
        assert_kms_error(kms.describe_key().key_id(name).send().await, &["NotFoundException"]);
    }
}

// Every operation on a key that does not exist answers NotFoundException (each
// operation's Errors section lists it).
#[tokio::test]
async fn unknown_keys_are_not_found() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "real").await;
    let nf = ["NotFoundException"];
    assert_kms_error(kms.encrypt().key_id(UNKNOWN_KEY).plaintext(Blob::new(b"x".as_slice())).send().await, &nf);
    assert_kms_error(kms.encrypt().key_id("alias/nothing").plaintext(Blob::new(b"x".as_slice())).send().await, &nf);
    assert_kms_error(kms.generate_data_key().key_id(UNKNOWN_KEY).key_spec(DataKeySpec::Aes256).send().await, &nf);
    assert_kms_error(kms.enable_key().key_id(UNKNOWN_KEY).send().await, &nf);
    assert_kms_error(kms.disable_key().key_id(UNKNOWN_KEY).send().await, &nf);
    assert_kms_error(kms.enable_key_rotation().key_id(UNKNOWN_KEY).send().await, &nf);
    assert_kms_error(kms.get_key_rotation_status().key_id(UNKNOWN_KEY).send().await, &nf);
    assert_kms_error(kms.rotate_key_on_demand().key_id(UNKNOWN_KEY).send().await, &nf);
    assert_kms_error(kms.schedule_key_deletion().key_id(UNKNOWN_KEY).send().await, &nf);
    assert_kms_error(kms.cancel_key_deletion().key_id(UNKNOWN_KEY).send().await, &nf);
    assert_kms_error(kms.create_alias().alias_name("alias/x").target_key_id(UNKNOWN_KEY).send().await, &nf);
    assert_kms_error(kms.update_alias().alias_name("alias/nothing").target_key_id(key.key_id()).send().await, &nf);
    assert_kms_error(kms.delete_alias().alias_name("alias/nothing").send().await, &nf);
}

// ListKeys: Limit (1-1000, default 100), Marker, Truncated, NextMarker; KeyId and KeyArn
// per key: https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeys.html
#[tokio::test]
async fn list_keys_pages_through_the_accounts_keys() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let mut created = std::collections::BTreeMap::new();
    for i in 0..5 {
        let key = new_key(&kms, &format!("key {i}")).await;
        created.insert(key.key_id().to_owned(), key.arn().unwrap().to_owned());
    }
    let all = kms.list_keys().send().await.unwrap();
    assert!(!all.truncated());
    assert_eq!(all.keys().len(), 5);

    let mut listed = std::collections::BTreeMap::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = kms.list_keys().limit(2).set_marker(marker.take()).send().await.unwrap();
        pages += 1;
        assert!(page.keys().len() <= 2, "page of {}", page.keys().len());
        for k in page.keys() {
            let previous = listed.insert(k.key_id().unwrap().to_owned(), k.key_arn().unwrap().to_owned());
            assert!(previous.is_none(), "{k:?} listed twice");
        }
        if !page.truncated() {
            assert!(page.next_marker().is_none());
            break;
        }
        marker = Some(page.next_marker().expect("NextMarker on a truncated page").to_owned());
        assert!(pages < 10, "no end to the listing");
    }
    assert_eq!(pages, 3);
    assert_eq!(listed, created);

    assert_kms_error(kms.list_keys().limit(0).send().await, &["ValidationException"]);
}

// CreateAlias / UpdateAlias / DeleteAlias / ListAliases:
// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html ("must begin
// with alias/ ... cannot begin with alias/aws/", AlreadyExistsException,
// NotFoundException), API_ListAliases.html (AliasName, AliasArn, TargetKeyId; KeyId
// filter takes a key ID or key ARN). A name without `alias/` is a ValidationException
// on AWS ("Alias must start with the prefix \"alias/\"", as reported from AWS in
// aws-controllers-k8s/community#1878).
#[tokio::test]
async fn aliases_name_keys_and_move_between_them() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let account = account_id(&srv).await;
    let first = new_key(&kms, "first").await;
    let second = new_key(&kms, "second").await;
    kms.create_alias().alias_name("alias/app").target_key_id(first.key_id()).send().await.unwrap();
    kms.create_alias().alias_name("alias/app-old").target_key_id(first.arn().unwrap()).send().await.unwrap();
    kms.create_alias().alias_name("alias/other").target_key_id(second.key_id()).send().await.unwrap();

    let aliases = kms.list_aliases().send().await.unwrap();
    let by_name: HashMap<&str, _> = aliases.aliases().iter().map(|a| (a.alias_name().unwrap(), a)).collect();
    for (name, key) in [("alias/app", &first), ("alias/app-old", &first), ("alias/other", &second)] {
        let entry = by_name.get(name).unwrap_or_else(|| panic!("{name} not listed: {aliases:?}"));
        assert_eq!(entry.alias_arn(), Some(format!("arn:aws:kms:us-east-1:{account}:{name}").as_str()));
        assert_eq!(entry.target_key_id(), Some(key.key_id()));
    }
    for filter in [first.key_id(), first.arn().unwrap()] {
        let of_first = kms.list_aliases().key_id(filter).send().await.unwrap();
        let mut names: Vec<&str> = of_first.aliases().iter().map(|a| a.alias_name().unwrap()).collect();
        names.sort_unstable();
        assert_eq!(names, ["alias/app", "alias/app-old"], "ListAliases KeyId={filter}");
    }

    // Names are unique in the account, and not in the reserved alias/aws/.
    assert_kms_error(kms.create_alias().alias_name("alias/app").target_key_id(second.key_id()).send().await, &["AlreadyExistsException"]);
    assert_kms_error(
        kms.create_alias().alias_name("alias/aws/s3").target_key_id(first.key_id()).send().await,
        &["InvalidAliasNameException"],
    );
    assert_kms_error(kms.create_alias().alias_name("alias/x").target_key_id(UNKNOWN_KEY).send().await, &["NotFoundException"]);
    assert_eq!(describe(&kms, "alias/app").await.key_id(), first.key_id(), "the refused CreateAlias moved nothing");

    // Encrypting through an alias uses the key it points at; moved, the alias points at
    // the other key, while what was encrypted before still decrypts (the blob names its key).
    let before = encrypt(&kms, "alias/app", b"under first", &[]).await;
    kms.update_alias().alias_name("alias/app").target_key_id(second.key_id()).send().await.unwrap();
    assert_eq!(describe(&kms, "alias/app").await.key_id(), second.key_id());
    let out = kms.encrypt().key_id("alias/app").plaintext(Blob::new(b"under second".as_slice())).send().await.unwrap();
    assert_eq!(out.key_id(), second.arn());
    let decrypted = decrypt(&kms, &before, &[]).await.unwrap();
    assert_eq!(decrypted.key_id(), first.arn());
    assert_eq!(decrypted.plaintext().unwrap().as_ref(), b"under first");
    assert_kms_error(kms.update_alias().alias_name("alias/app").target_key_id(UNKNOWN_KEY).send().await, &["NotFoundException"]);

    // Deleted, the alias is gone and its key stays.
    kms.delete_alias().alias_name("alias/app").send().await.unwrap();
    assert_kms_error(kms.describe_key().key_id("alias/app").send().await, &["NotFoundException"]);
    assert_kms_error(kms.delete_alias().alias_name("alias/app").send().await, &["NotFoundException"]);
    assert_eq!(describe(&kms, second.key_id()).await.key_state(), Some(&KeyState::Enabled));
    let left = kms.list_aliases().key_id(second.key_id()).send().await.unwrap();
    let names: Vec<&str> = left.aliases().iter().map(|a| a.alias_name().unwrap()).collect();
    assert_eq!(names, ["alias/other"]);

    // A name must start with alias/: AWS checks that as input validation.
    assert_kms_error(kms.create_alias().alias_name("app").target_key_id(first.key_id()).send().await, &["ValidationException"]);
}
