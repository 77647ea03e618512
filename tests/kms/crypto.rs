//! Encrypt, Decrypt and data keys: round trips, contexts, tampering, wrong keys.

use super::*;

// Envelope encryption as the KMS developer guide describes it (GenerateDataKey, encrypt
// locally with the plaintext key, keep only the encrypted key, Decrypt it later):
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
// (Plaintext, CiphertextBlob, KeyId "the key ARN"), API_GenerateDataKeyWithoutPlaintext.html.
#[tokio::test]
async fn envelope_encryption_round_trip() {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "envelopes").await;
    kms.create_alias().alias_name("alias/envelopes").target_key_id(key.key_id()).send().await.unwrap();
    let ctx = [("bucket", "photos"), ("key", "2024/cat.jpg")];
    let message = common::data(10_000, 7);

    let data_key = kms
        .generate_data_key()
        .key_id("alias/envelopes")
        .key_spec(DataKeySpec::Aes256)
        .set_encryption_context(context(&ctx))
        .send()
        .await
        .unwrap();
    assert_eq!(data_key.key_id(), key.arn());
    let plaintext_key = data_key.plaintext().expect("Plaintext").as_ref().to_vec();
    assert_eq!(plaintext_key.len(), 32);
    let encrypted_key = data_key.ciphertext_blob().expect("CiphertextBlob").as_ref().to_vec();
    assert!(!encrypted_key.windows(32).any(|w| w == plaintext_key.as_slice()), "the data key is in the clear in its blob");

    let nonce = [7u8; NONCE_LEN];
    let seal_key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &plaintext_key).unwrap());
    let mut sealed = message.clone();
    seal_key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed).unwrap();
    drop(plaintext_key);

    // Later: only the encrypted data key and the sealed message are at hand.
    let recovered = decrypt(&kms, &encrypted_key, &ctx).await.unwrap();
    assert_eq!(recovered.key_id(), key.arn());
    let open_key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, recovered.plaintext().unwrap().as_ref()).unwrap());
    let opened = open_key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed).unwrap();
    assert_eq!(opened, message.as_slice());

    // Without plaintext: only the encrypted key, which decrypts to a 32-byte key.
    let later = kms
        .generate_data_key_without_plaintext()
        .key_id(key.key_id())
        .key_spec(DataKeySpec::Aes256)
        .set_encryption_context(context(&ctx))
        .send()
        .await
        .unwrap();
    assert_eq!(later.key_id(), key.arn());
    let blob = later.ciphertext_blob().expect("CiphertextBlob").as_ref().to_vec();
    assert_eq!(plaintext_of(&kms, &blob, &ctx).await.len(), 32);
}

// GenerateDataKey: KeySpec AES_128/AES_256 or NumberOfBytes (1-1024), "either the KeySpec
// or the NumberOfBytes parameter (but not both)"; each call returns a unique data key:
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
#[tokio::test]
async fn data_keys_have_the_requested_length() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "sizes").await;
    let id = key.key_id();
    let generate = || kms.generate_data_key().key_id(id);
    let mut seen = Vec::new();
    for (request, len) in [
        (generate().key_spec(DataKeySpec::Aes256), 32),
        (generate().key_spec(DataKeySpec::Aes256), 32),
        (generate().key_spec(DataKeySpec::Aes128), 16),
        (generate().number_of_bytes(1), 1),
        (generate().number_of_bytes(64), 64),
        (generate().number_of_bytes(1024), 1024),
    ] {
        let out = request.send().await.unwrap();
        let plaintext = out.plaintext().unwrap().as_ref().to_vec();
        assert_eq!(plaintext.len(), len);
        assert_eq!(plaintext_of(&kms, out.ciphertext_blob().unwrap().as_ref(), &[]).await, plaintext);
        seen.push(plaintext);
    }
    assert_ne!(seen[0], seen[1], "two data keys alike");

    let invalid = ["ValidationException"];
    assert_kms_error(generate().number_of_bytes(0).send().await, &invalid);
    assert_kms_error(generate().number_of_bytes(1025).send().await, &invalid);
    assert_kms_error(generate().key_spec(DataKeySpec::Aes256).number_of_bytes(32).send().await, &invalid);
    assert_kms_error(generate().send().await, &invalid);
}

// Encrypt: Plaintext 1-4096 bytes; response CiphertextBlob, KeyId (key ARN),
// EncryptionAlgorithm; Decrypt returns Plaintext and the key ARN:
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html, API_Decrypt.html
#[tokio::test]
async fn encrypt_and_decrypt_round_trip() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "secrets").await;
    for len in [1, 100, 4096] {
        let plaintext = common::data(len, len as u64);
        let out = kms.encrypt().key_id(key.key_id()).plaintext(Blob::new(plaintext.clone())).send().await.unwrap();
        assert_eq!(out.key_id(), key.arn());
        assert_eq!(out.encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
        let blob = out.ciphertext_blob().unwrap().as_ref().to_vec();
        assert!(blob.len() > len, "a {len}-byte plaintext in a {}-byte blob", blob.len());
        let back = decrypt(&kms, &blob, &[]).await.unwrap();
        assert_eq!(back.plaintext().unwrap().as_ref(), plaintext.as_slice());
        assert_eq!(back.key_id(), key.arn());
        assert_eq!(back.encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    }
    // Encryption is randomized: the same plaintext twice gives two ciphertexts.
    let a = encrypt(&kms, key.key_id(), b"same", &[]).await;
    let b = encrypt(&kms, key.key_id(), b"same", &[]).await;
    assert_ne!(a, b);

    let invalid = ["ValidationException"];
    assert_kms_error(kms.encrypt().key_id(key.key_id()).plaintext(Blob::new(Vec::new())).send().await, &invalid);
    assert_kms_error(kms.encrypt().key_id(key.key_id()).plaintext(Blob::new(vec![0u8; 4097])).send().await, &invalid);
}

// "When you use an encryption context to encrypt data, you must specify the same (an
// exact case-sensitive match) encryption context to decrypt the data"; a mismatch is
// InvalidCiphertextException: https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
#[tokio::test]
async fn decrypt_needs_the_same_encryption_context() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "context").await;
    let ctx = [("tenant", "acme"), ("purpose", "invoices"), ("year", "2024")];
    let blob = encrypt(&kms, key.key_id(), b"amount: 12", &ctx).await;
    // A map: its order does not matter.
    let reordered = [("year", "2024"), ("purpose", "invoices"), ("tenant", "acme")];
    assert_eq!(plaintext_of(&kms, &blob, &reordered).await, b"amount: 12");

    let wrong: [&[(&str, &str)]; 6] = [
        &[],
        &[("tenant", "acme"), ("purpose", "invoices")],
        &[("tenant", "acme"), ("purpose", "invoices"), ("year", "2024"), ("extra", "x")],
        &[("tenant", "globex"), ("purpose", "invoices"), ("year", "2024")],
        &[("Tenant", "acme"), ("purpose", "invoices"), ("year", "2024")],
        &[("tenant", "ACME"), ("purpose", "invoices"), ("year", "2024")],
    ];
    for ctx in wrong {
        assert_kms_error(decrypt(&kms, &blob, ctx).await, &["InvalidCiphertextException"]);
    }
    // And the other way: encrypted without a context, decrypted with one.
    let plain = encrypt(&kms, key.key_id(), b"no context", &[]).await;
    assert_kms_error(decrypt(&kms, &plain, &[("tenant", "acme")]).await, &["InvalidCiphertextException"]);
    assert_eq!(plaintext_of(&kms, &plain, &[]).await, b"no context");
}

// InvalidCiphertextException: "the specified ciphertext ... is corrupted, missing, or
// otherwise invalid": https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
#[tokio::test]
async fn tampered_ciphertexts_are_refused() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let key = new_key(&kms, "tamper").await;
    let blob = encrypt(&kms, key.key_id(), b"pay 10 to alice", &[]).await;

    // Every byte of the blob is protected. A flip in the part that names the key may
    // name another account's key, which is refused as such (AccessDeniedException, as
    // for a genuine blob of another account); a flip in the sealed data past the header
    // is InvalidCiphertextException.
    let mut accepted = Vec::new();
    let mut other_errors = Vec::new();
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x01;
        match decrypt(&kms, &bad, &[]).await {
            Ok(out) => accepted.push((i, out.plaintext().map(|p| p.as_ref().to_vec()))),
            Err(err) => {
                let code = err.code().map(str::to_owned);
                let sealed_part = i >= blob.len() - 16;
                let expected: &[&str] =
                    if sealed_part { &["InvalidCiphertextException"] } else { &["InvalidCiphertextException", "AccessDeniedException"] };
                if !code.as_deref().is_some_and(|c| expected.contains(&c)) {
                    other_errors.push((i, code));
                }
            }
        }
    }
    assert!(accepted.is_empty(), "flipped bytes accepted: {accepted:?}");
    assert!(other_errors.is_empty(), "flipped bytes refused with an unexpected error: {other_errors:?}");

    // Cut short, made longer, or not from KMS at all.
    let invalid = ["InvalidCiphertextException"];
    assert_kms_error(decrypt(&kms, &blob[..blob.len() - 1], &[]).await, &invalid);
    assert_kms_error(decrypt(&kms, &blob[..blob.len() / 2], &[]).await, &invalid);
    assert_kms_error(decrypt(&kms, &[blob.as_slice(), b"x".as_slice()].concat(), &[]).await, &invalid);
    assert_kms_error(decrypt(&kms, &common::data(200, 3), &[]).await, &invalid);
    assert_kms_error(decrypt(&kms, b"x", &[]).await, &invalid);
    // The original is intact.
    assert_eq!(plaintext_of(&kms, &blob, &[]).await, b"pay 10 to alice");
}

// Decrypt's KeyId "must identify the same KMS key that was used to encrypt the
// ciphertext", else IncorrectKeyException; it takes a key ID, key ARN, alias name or
// alias ARN: https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
#[tokio::test]
async fn decrypt_with_another_key_id_is_an_incorrect_key() {
    let srv = TestServer::start().await;
    let kms = root_kms(&srv);
    let right = new_key(&kms, "right").await;
    let wrong = new_key(&kms, "wrong").await;
    kms.create_alias().alias_name("alias/right").target_key_id(right.key_id()).send().await.unwrap();
    kms.create_alias().alias_name("alias/wrong").target_key_id(wrong.key_id()).send().await.unwrap();
    let blob = encrypt(&kms, right.key_id(), b"for right only", &[]).await;
    let with_key = |key_id: &str| kms.decrypt().ciphertext_blob(Blob::new(blob.clone())).key_id(key_id).send();
    for id in [right.key_id(), right.arn().unwrap(), "alias/right"] {
        let out = with_key(id).await.unwrap();
        assert_eq!(out.plaintext().unwrap().as_ref(), b"for right only", "KeyId {id}");
        assert_eq!(out.key_id(), right.arn());
    }
    for id in [wrong.key_id(), wrong.arn().unwrap(), "alias/wrong"] {
        assert_kms_error(with_key(id).await, &["IncorrectKeyException"]);
    }
}
