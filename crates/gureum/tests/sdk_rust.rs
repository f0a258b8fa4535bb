//! aws-sdk-rust against the real `gureum` binary: STS (and a refused signature), DynamoDB and
//! KMS, each through the official Rust SDK.

mod common;

use aws_credential_types::Credentials;
use common::start;

/// A client of SDK crate `$sdk` for gureum at `$endpoint`, signing with `$secret`.
macro_rules! sdk_client {
    ($sdk:ident, $endpoint:expr, $secret:expr) => {{
        let config = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .endpoint_url($endpoint)
            .region($sdk::config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", $secret, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        $sdk::Client::from_conf(config)
    }};
}

fn client(endpoint: &str, secret: &str) -> aws_sdk_sts::Client {
    sdk_client!(aws_sdk_sts, endpoint, secret)
}

#[tokio::test]
async fn get_caller_identity_through_aws_sdk_rust() {
    let server = start();
    let ident = client(&server.endpoint, "test")
        .get_caller_identity()
        .send()
        .await
        .expect("call succeeds");
    assert_eq!(ident.account(), Some("000000000000"));
    assert_eq!(ident.arn(), Some("arn:aws:iam::000000000000:root"));
    assert_eq!(ident.user_id(), Some("000000000000"));

    let err = client(&server.endpoint, "wrong")
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    let service_err = err.into_service_error();
    let meta = aws_sdk_sts::error::ProvideErrorMetadata::meta(&service_err);
    assert_eq!(meta.code(), Some("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn dynamodb_through_aws_sdk_rust() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    let server = start();
    let ddb = sdk_client!(aws_sdk_dynamodb, &server.endpoint, "test");
    ddb.create_table()
        .table_name("t")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("table created");
    for n in ["10", "-2.5", "3"] {
        ddb.put_item()
            .table_name("t")
            .item("pk", AttributeValue::S("a".into()))
            .item("sk", AttributeValue::N(n.into()))
            .item(
                "blob",
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![0, 1, 2])),
            )
            .send()
            .await
            .expect("put");
    }
    let out = ddb
        .query()
        .table_name("t")
        .key_condition_expression("pk = :p AND sk > :min")
        .expression_attribute_values(":p", AttributeValue::S("a".into()))
        .expression_attribute_values(":min", AttributeValue::N("-3".into()))
        .send()
        .await
        .expect("query");
    let order: Vec<String> = out
        .items()
        .iter()
        .map(|i| i["sk"].as_n().unwrap().clone())
        .collect();
    assert_eq!(order, ["-2.5", "3", "10"]);
    assert_eq!(out.items()[0]["blob"].as_b().unwrap().as_ref(), &[0, 1, 2]);
    let err = ddb
        .put_item()
        .table_name("t")
        .item("pk", AttributeValue::S("a".into()))
        .item("sk", AttributeValue::N("3".into()))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conditional_check_failed_exception(), "{err:?}");
}

#[tokio::test]
async fn kms_through_aws_sdk_rust() {
    use aws_sdk_kms::primitives::Blob;
    let server = start();
    let kms = sdk_client!(aws_sdk_kms, &server.endpoint, "test");
    let key = kms.create_key().send().await.expect("key created");
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    let sealed = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"envelope".to_vec()))
        .encryption_context("purpose", "test")
        .send()
        .await
        .expect("encrypted");
    let blob = sealed.ciphertext_blob().unwrap().clone();
    let opened = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("purpose", "test")
        .send()
        .await
        .expect("decrypted");
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"envelope");
    assert_eq!(opened.key_id(), key.key_metadata().unwrap().arn());
    let err = kms
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("purpose", "other")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_ciphertext_exception(), "{err:?}");
}
