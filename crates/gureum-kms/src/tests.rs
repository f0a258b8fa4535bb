//! Handler-level tests over an in-memory store: crypto round trips, tampering, encryption
//! context, key states, rotation and deletion on the server clock.

use gureum_core::{Clock, Principal, RequestContext};
use gureum_store::Storage;
use serde_json::{Value, json};

use crate::{Kms, aliases, crypto, keys};

fn ctx(clock: &Clock) -> RequestContext {
    RequestContext {
        request_id: "r".into(),
        region: "us-east-1".into(),
        principal: Principal::root("000000000000"),
        access_key_id: "test".into(),
        clock: clock.clone(),
        service: "kms",
        operation: String::new(),
        source_ip: None,
        secure_transport: false,
    }
}

fn b64(bytes: &[u8]) -> Value {
    serde_json::to_value(gureum_core::wire::Blob(bytes.to_vec())).unwrap()
}

fn unb64(v: &Value) -> Vec<u8> {
    serde_json::from_value::<gureum_core::wire::Blob>(v.clone())
        .unwrap()
        .0
}

fn setup() -> (Kms, Clock, String) {
    let kms = Kms::new(Storage::ephemeral());
    let clock = Clock::new();
    let out = keys::create_key(&kms, &ctx(&clock), json!({"Description": "t"})).unwrap();
    let id = out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    (kms, clock, id)
}

fn code(r: Result<Value, gureum_core::AwsError>) -> String {
    r.unwrap_err().code.to_string()
}

#[test]
fn encrypt_decrypt_round_trip_and_refusals() {
    let (kms, clock, id) = setup();
    let c = ctx(&clock);
    let enc = crypto::encrypt(
        &kms,
        &c,
        json!({"KeyId": id, "Plaintext": b64(b"hello"), "EncryptionContext": {"a": "1"}}),
    )
    .unwrap();
    let blob = unb64(&enc["CiphertextBlob"]);
    assert!(!blob.windows(5).any(|w| w == b"hello"));
    let dec = crypto::decrypt(
        &kms,
        &c,
        json!({"CiphertextBlob": b64(&blob), "EncryptionContext": {"a": "1"}}),
    )
    .unwrap();
    assert_eq!(unb64(&dec["Plaintext"]), b"hello");
    assert_eq!(dec["KeyId"], enc["KeyId"]);
    // Wrong context, no context, tampered blob.
    for context in [json!({"a": "2"}), json!({})] {
        let r = crypto::decrypt(
            &kms,
            &c,
            json!({"CiphertextBlob": b64(&blob), "EncryptionContext": context}),
        );
        assert_eq!(code(r), "InvalidCiphertextException");
    }
    let mut bad = blob.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let r = crypto::decrypt(
        &kms,
        &c,
        json!({"CiphertextBlob": b64(&bad), "EncryptionContext": {"a": "1"}}),
    );
    assert_eq!(code(r), "InvalidCiphertextException");
    let r = crypto::decrypt(&kms, &c, json!({"CiphertextBlob": b64(b"garbage")}));
    assert_eq!(code(r), "InvalidCiphertextException");
    // A different key named in the request.
    let other = keys::create_key(&kms, &c, json!({})).unwrap();
    let other_id = other["KeyMetadata"]["KeyId"].clone();
    let r = crypto::decrypt(
        &kms,
        &c,
        json!({"CiphertextBlob": b64(&blob), "KeyId": other_id, "EncryptionContext": {"a": "1"}}),
    );
    assert_eq!(code(r), "IncorrectKeyException");
    // Another installation (another master key and store) cannot decrypt.
    let (kms2, clock2, _) = setup();
    let r = crypto::decrypt(
        &kms2,
        &ctx(&clock2),
        json!({"CiphertextBlob": b64(&blob), "EncryptionContext": {"a": "1"}}),
    );
    assert_eq!(code(r), "NotFoundException");
}

#[test]
fn key_states_gate_cryptography() {
    let (kms, clock, id) = setup();
    let c = ctx(&clock);
    let enc = |kms: &Kms| crypto::encrypt(kms, &c, json!({"KeyId": id, "Plaintext": b64(b"x")}));
    keys::disable_key(&kms, &c, json!({"KeyId": id})).unwrap();
    assert_eq!(code(enc(&kms)), "DisabledException");
    keys::enable_key(&kms, &c, json!({"KeyId": id})).unwrap();
    assert!(enc(&kms).is_ok());
    keys::schedule_key_deletion(&kms, &c, json!({"KeyId": id, "PendingWindowInDays": 7})).unwrap();
    assert_eq!(code(enc(&kms)), "KMSInvalidStateException");
    keys::cancel_key_deletion(&kms, &c, json!({"KeyId": id})).unwrap();
    let d = keys::describe_key(&kms, &c, json!({"KeyId": id})).unwrap();
    assert_eq!(d["KeyMetadata"]["KeyState"], "Disabled");
    keys::schedule_key_deletion(&kms, &c, json!({"KeyId": id, "PendingWindowInDays": 7})).unwrap();
    clock.advance_secs(7 * 86_400 - 60);
    assert!(keys::describe_key(&kms, &c, json!({"KeyId": id})).is_ok());
    clock.advance_secs(120);
    assert_eq!(
        code(keys::describe_key(&kms, &c, json!({"KeyId": id}))),
        "NotFoundException"
    );
    let r = keys::schedule_key_deletion(&kms, &c, json!({"KeyId": id, "PendingWindowInDays": 6}));
    assert_eq!(code(r), "ValidationException");
}

#[test]
fn rotation_keeps_old_ciphertexts_decrypting() {
    let (kms, clock, id) = setup();
    let c = ctx(&clock);
    let old = crypto::encrypt(&kms, &c, json!({"KeyId": id, "Plaintext": b64(b"old")})).unwrap();
    keys::rotate_key_on_demand(&kms, &c, json!({"KeyId": id})).unwrap();
    let new = crypto::encrypt(&kms, &c, json!({"KeyId": id, "Plaintext": b64(b"new")})).unwrap();
    let old_blob = unb64(&old["CiphertextBlob"]);
    let new_blob = unb64(&new["CiphertextBlob"]);
    let (h_old, _) = crate::ciphertext::parse_header(&old_blob).unwrap();
    let (h_new, _) = crate::ciphertext::parse_header(&new_blob).unwrap();
    assert_eq!((h_old.material_version, h_new.material_version), (1, 2));
    for (blob, text) in [(old_blob, &b"old"[..]), (new_blob, b"new")] {
        let d = crypto::decrypt(&kms, &c, json!({"CiphertextBlob": b64(&blob)})).unwrap();
        assert_eq!(unb64(&d["Plaintext"]), text);
    }
    let rotations = keys::list_key_rotations(&kms, &c, json!({"KeyId": id})).unwrap();
    assert_eq!(rotations["Rotations"][0]["RotationType"], "ON_DEMAND");
}

#[test]
fn aliases_resolve_and_reserved_names_are_refused() {
    let (kms, clock, id) = setup();
    let c = ctx(&clock);
    aliases::create_alias(
        &kms,
        &c,
        json!({"AliasName": "alias/app", "TargetKeyId": id}),
    )
    .unwrap();
    let d = keys::describe_key(&kms, &c, json!({"KeyId": "alias/app"})).unwrap();
    assert_eq!(d["KeyMetadata"]["KeyId"], json!(id));
    let arn = "arn:aws:kms:us-east-1:000000000000:alias/app";
    assert!(keys::describe_key(&kms, &c, json!({"KeyId": arn})).is_ok());
    let r = aliases::create_alias(
        &kms,
        &c,
        json!({"AliasName": "alias/app", "TargetKeyId": id}),
    );
    assert_eq!(code(r), "AlreadyExistsException");
    let r = aliases::create_alias(
        &kms,
        &c,
        json!({"AliasName": "alias/aws/s3", "TargetKeyId": id}),
    );
    assert_eq!(code(r), "NotAuthorizedException");
    aliases::delete_alias(&kms, &c, json!({"AliasName": "alias/app"})).unwrap();
    let r = keys::describe_key(&kms, &c, json!({"KeyId": "alias/app"}));
    assert_eq!(code(r), "NotFoundException");
}

#[test]
fn custom_key_stores_without_a_module_find_no_cluster() {
    use crate::custom_key_stores as cks;
    let kms = Kms::new(Storage::ephemeral());
    let clock = Clock::new();
    let c = ctx(&clock);
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let create = |cluster: &str, password: &str, cert: &str| {
        cks::create_custom_key_store(
            &kms,
            &c,
            json!({"CustomKeyStoreName": "s", "CloudHsmClusterId": cluster,
                   "TrustAnchorCertificate": cert, "KeyStorePassword": password}),
        )
    };
    let cases = [
        (
            "cluster-abcdefghijk",
            "kmsuser-pin",
            cert,
            "CloudHsmClusterNotFoundException",
        ),
        ("cluster-abc", "kmsuser-pin", cert, "ValidationException"),
        (
            "cluster-abcdefghij1",
            "kmsuser-pin",
            cert,
            "ValidationException",
        ),
        ("cluster-abcdefghijk", "short", cert, "ValidationException"),
        (
            "cluster-abcdefghijk",
            "kmsuser-pin",
            "no",
            "IncorrectTrustAnchorException",
        ),
    ];
    for (cluster, password, cert, expected) in cases {
        assert_eq!(
            code(create(cluster, password, cert)),
            expected,
            "{cluster} {password}"
        );
    }
    let none = cks::describe_custom_key_stores(&kms, &c, json!({})).unwrap();
    assert_eq!(none["CustomKeyStores"], json!([]));
    assert_eq!(
        code(cks::connect_custom_key_store(
            &kms,
            &c,
            json!({"CustomKeyStoreId": "cks-00000000000000000"})
        )),
        "CustomKeyStoreNotFoundException"
    );
    assert_eq!(
        code(keys::create_key(
            &kms,
            &c,
            json!({"CustomKeyStoreId": "cks-00000000000000000", "Origin": "AWS_CLOUDHSM"})
        )),
        "CustomKeyStoreNotFoundException"
    );
}

#[test]
fn material_context_names_the_key_version() {
    for version in [0, 1, 9, 10, 123, u32::MAX] {
        assert_eq!(
            crate::material_context("111122223333", "eu-west-1", "k", version),
            format!("kms-material/111122223333/eu-west-1/k/{version}").into_bytes()
        );
    }
}
