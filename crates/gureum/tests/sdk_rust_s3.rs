//! aws-sdk-rust S3 against the real `gureum` binary: one test per major feature (buckets,
//! objects, checksums, large streamed bodies, multipart, versioning, presigned URLs, tagging,
//! public-read policies, lifecycle with RestoreObject), path-style over plain HTTP.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ChecksumAlgorithm, ChecksumMode,
    CompletedMultipartUpload, CompletedPart, ExpirationStatus, GlacierJobParameters, LifecycleRule,
    LifecycleRuleFilter, RestoreRequest, StorageClass, Tag, Tagging, Tier, Transition,
    TransitionStorageClass, VersioningConfiguration,
};
use common::{Server, start};

fn s3(server: &Server) -> aws_sdk_s3::Client {
    s3_in(server, "us-east-1")
}

fn s3_in(server: &Server, region: &'static str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(&server.endpoint)
        .region(aws_sdk_s3::config::Region::new(region))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// One HTTP/1.1 request over a fresh loopback connection: (status, body). `target` is the
/// path and query.
fn http(
    server: &Server,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        server.port,
        body.len()
    );
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("content-length") {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a full response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut rest = &raw[split + 4..];
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return (status, rest.to_vec());
    }
    let mut out = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return (status, out);
        }
        out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = &rest[eol + 4 + size..];
    }
}

/// Moves the server's clock forward (the loopback admin endpoint).
fn advance_clock(server: &Server, seconds: u64) {
    let body = format!("{{\"advance_seconds\": {seconds}}}");
    let (status, _) = http(
        server,
        "POST",
        "/_gureum/clock",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(status, 200);
}

async fn body(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

/// `len` bytes that do not repeat with any short period.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test]
async fn buckets_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    for name in ["alpha-bucket", "beta-bucket"] {
        s3.create_bucket()
            .bucket(name)
            .send()
            .await
            .expect("created");
    }
    let listed = s3.list_buckets().send().await.expect("listed");
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha-bucket", "beta-bucket"]);
    s3.head_bucket()
        .bucket("alpha-bucket")
        .send()
        .await
        .expect("head");
    let err = s3
        .head_bucket()
        .bucket("no-such-bucket-here")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_not_found(), "{err:?}");
    let err = s3
        .create_bucket()
        .bucket("Bad_Name")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidBucketName"));
    // Creating one's own bucket again: accepted in us-east-1 (as AWS does there), refused
    // with a typed error elsewhere.
    s3.create_bucket()
        .bucket("alpha-bucket")
        .send()
        .await
        .expect("us-east-1 answers 200 to its owner");
    let west = s3_in(&server, "us-west-2");
    west.create_bucket()
        .bucket("west-bucket")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
                .build(),
        )
        .send()
        .await
        .expect("created in us-west-2");
    let err = west
        .create_bucket()
        .bucket("west-bucket")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
                .build(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_bucket_already_owned_by_you(), "{err:?}");
    let region = s3.head_bucket().bucket("west-bucket").send().await.unwrap();
    assert_eq!(region.bucket_region(), Some("us-west-2"));
    s3.put_object()
        .bucket("beta-bucket")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("put");
    let err = s3
        .delete_bucket()
        .bucket("beta-bucket")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("BucketNotEmpty"));
    s3.delete_bucket()
        .bucket("alpha-bucket")
        .send()
        .await
        .expect("deleted");
    let err = s3
        .delete_bucket()
        .bucket("alpha-bucket")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("NoSuchBucket"));
    let listed = s3.list_buckets().send().await.expect("listed");
    assert_eq!(listed.buckets().len(), 2);
}

#[tokio::test]
async fn objects_ranges_conditions_and_metadata_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    s3.create_bucket().bucket("objs").send().await.unwrap();
    let put = s3
        .put_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .body(ByteStream::from_static(b"hello, gureum"))
        .content_type("text/plain")
        .metadata("colour", "blue")
        .send()
        .await
        .expect("put");
    let etag = put.e_tag().unwrap().to_string();
    assert_eq!(etag, "\"5645c14d8d645642670aed1d3b49795d\"");
    let got = s3
        .get_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .send()
        .await
        .expect("get");
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(got.metadata().unwrap()["colour"], "blue");
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(body(got).await, b"hello, gureum");

    let head = s3
        .head_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_length(), Some(13));

    let ranged = s3
        .get_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .range("bytes=7-12")
        .send()
        .await
        .expect("ranged get");
    assert_eq!(ranged.content_range(), Some("bytes 7-12/13"));
    assert_eq!(body(ranged).await, b"gureum");
    let suffix = s3
        .get_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .range("bytes=-3")
        .send()
        .await
        .expect("suffix get");
    assert_eq!(body(suffix).await, b"eum");
    let err = s3
        .get_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .range("bytes=100-200")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 416);
    assert_eq!(err.into_service_error().code(), Some("InvalidRange"));

    // Conditional reads: a matching If-None-Match is 304, a stale If-Match is 412.
    let err = s3
        .get_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 304);
    let err = s3
        .get_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .if_match("\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 412);
    assert_eq!(err.into_service_error().code(), Some("PreconditionFailed"));
    let fresh = s3
        .get_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .if_match(&etag)
        .send()
        .await
        .expect("matching If-Match reads");
    assert_eq!(body(fresh).await, b"hello, gureum");

    let err = s3
        .get_object()
        .bucket("objs")
        .key("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_no_such_key(), "{err:?}");
    let err = s3
        .head_object()
        .bucket("objs")
        .key("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_not_found(), "{err:?}");

    let listed = s3
        .list_objects_v2()
        .bucket("objs")
        .prefix("dir/")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(1));
    assert_eq!(listed.contents()[0].key(), Some("dir/hello.txt"));
    s3.delete_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .send()
        .await
        .expect("delete");
    let err = s3
        .get_object()
        .bucket("objs")
        .key("dir/hello.txt")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_no_such_key(), "{err:?}");
}

#[tokio::test]
async fn flexible_checksums_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    s3.create_bucket().bucket("sums").send().await.unwrap();
    // The SDK's default: a CRC32 trailer on an aws-chunked body.
    let put = s3
        .put_object()
        .bucket("sums")
        .key("crc")
        .body(ByteStream::from(pattern(70_000, 7)))
        .send()
        .await
        .expect("put with the default checksum");
    let crc = put.checksum_crc32().expect("CRC32 answered").to_string();
    let got = s3
        .get_object()
        .bucket("sums")
        .key("crc")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("get with ChecksumMode");
    assert_eq!(got.checksum_crc32(), Some(crc.as_str()));
    // The SDK validates the answered checksum against the bytes it reads.
    assert_eq!(body(got).await, pattern(70_000, 7));
    let head = s3
        .head_object()
        .bucket("sums")
        .key("crc")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc32(), Some(crc.as_str()));

    let put = s3
        .put_object()
        .bucket("sums")
        .key("sha")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from_static(b"sha me"))
        .send()
        .await
        .expect("put with SHA256");
    let sha = put.checksum_sha256().expect("SHA256 answered").to_string();
    let got = s3
        .get_object()
        .bucket("sums")
        .key("sha")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_sha256(), Some(sha.as_str()));
    assert_eq!(body(got).await, b"sha me");

    // A stated checksum that does not match the body is refused.
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"not zero"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("BadDigest"), "{err:?}");
    let err = s3
        .head_object()
        .bucket("sums")
        .key("bad")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn large_streamed_upload_and_download_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    s3.create_bucket().bucket("big").send().await.unwrap();
    let data = pattern(9 * 1024 * 1024 + 12_345, 42);
    let path = server.dir.0.join("upload.bin");
    std::fs::write(&path, &data).unwrap();
    let put = s3
        .put_object()
        .bucket("big")
        .key("blob")
        .body(ByteStream::from_path(&path).await.expect("file stream"))
        .send()
        .await
        .expect("streamed put");
    assert!(put.e_tag().is_some());
    let got = s3
        .get_object()
        .bucket("big")
        .key("blob")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("get");
    assert_eq!(got.content_length(), Some(data.len() as i64));
    let mut stream = got.body;
    let mut read = Vec::with_capacity(data.len());
    let mut chunks = 0;
    while let Some(chunk) = stream.try_next().await.expect("chunk") {
        read.extend_from_slice(&chunk);
        chunks += 1;
    }
    assert!(chunks > 1, "a 9 MiB body arrives in more than one chunk");
    assert!(
        read == data,
        "the downloaded bytes differ from the uploaded ones"
    );
    // A range deep inside the big body.
    let ranged = s3
        .get_object()
        .bucket("big")
        .key("blob")
        .range("bytes=8388600-8388615")
        .send()
        .await
        .unwrap();
    assert_eq!(body(ranged).await, &data[8_388_600..8_388_616]);
}

#[tokio::test]
async fn multipart_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    s3.create_bucket().bucket("parts").send().await.unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("parts")
        .key("mp")
        .content_type("application/x-test")
        .send()
        .await
        .expect("created");
    let upload_id = up.upload_id().unwrap().to_string();
    let one = pattern(5 * 1024 * 1024, 1);
    let two = pattern(1000, 2);
    let mut completed = Vec::new();
    for (n, part) in [(1, &one), (2, &two)] {
        let out = s3
            .upload_part()
            .bucket("parts")
            .key("mp")
            .upload_id(&upload_id)
            .part_number(n)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .expect("part uploaded");
        completed.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .set_checksum_crc32(out.checksum_crc32().map(str::to_string))
                .build(),
        );
    }
    let parts = s3
        .list_parts()
        .bucket("parts")
        .key("mp")
        .upload_id(&upload_id)
        .send()
        .await
        .expect("listed");
    let sizes: Vec<_> = parts.parts().iter().map(|p| p.size()).collect();
    assert_eq!(sizes, [Some(one.len() as i64), Some(1000)]);
    let uploads = s3
        .list_multipart_uploads()
        .bucket("parts")
        .send()
        .await
        .unwrap();
    assert_eq!(uploads.uploads().len(), 1);
    // A part below 5 MiB that is not the last is refused.
    let err = s3
        .complete_multipart_upload()
        .bucket("parts")
        .key("mp")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(completed[1].clone())
                .parts(completed[0].clone())
                .build(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidPartOrder"), "{err:?}");
    let done = s3
        .complete_multipart_upload()
        .bucket("parts")
        .key("mp")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .expect("completed");
    assert!(
        done.e_tag().unwrap().ends_with("-2\""),
        "{:?}",
        done.e_tag()
    );
    let got = s3
        .get_object()
        .bucket("parts")
        .key("mp")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-test"));
    let read = body(got).await;
    assert_eq!(read.len(), one.len() + two.len());
    assert!(read[..one.len()] == one[..] && read[one.len()..] == two[..]);
    // Reads by part number: the part's bytes, with the object's part count.
    let part2 = s3
        .get_object()
        .bucket("parts")
        .key("mp")
        .part_number(2)
        .send()
        .await
        .expect("part 2 reads");
    assert_eq!(part2.parts_count(), Some(2));
    assert_eq!(
        part2.content_range(),
        Some(
            format!(
                "bytes {}-{}/{}",
                one.len(),
                one.len() + 999,
                one.len() + 1000
            )
            .as_str()
        )
    );
    assert_eq!(body(part2).await, two);
    let head = s3
        .head_object()
        .bucket("parts")
        .key("mp")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(one.len() as i64));
    let err = s3
        .get_object()
        .bucket("parts")
        .key("mp")
        .part_number(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 416);
    assert_eq!(err.into_service_error().code(), Some("InvalidPartNumber"));

    // An aborted upload is gone.
    let up = s3
        .create_multipart_upload()
        .bucket("parts")
        .key("gone")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    s3.upload_part()
        .bucket("parts")
        .key("gone")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"bye"))
        .send()
        .await
        .unwrap();
    s3.abort_multipart_upload()
        .bucket("parts")
        .key("gone")
        .upload_id(id)
        .send()
        .await
        .expect("aborted");
    let err = s3
        .list_parts()
        .bucket("parts")
        .key("gone")
        .upload_id(id)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("NoSuchUpload"));
    let err = s3
        .head_object()
        .bucket("parts")
        .key("gone")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn versioning_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    s3.create_bucket().bucket("vers").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("vers")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning on");
    let status = s3
        .get_bucket_versioning()
        .bucket("vers")
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), Some(&BucketVersioningStatus::Enabled));
    let mut ids = Vec::new();
    for text in ["first", "second"] {
        let put = s3
            .put_object()
            .bucket("vers")
            .key("doc")
            .body(ByteStream::from(text.as_bytes().to_vec()))
            .send()
            .await
            .unwrap();
        ids.push(put.version_id().expect("a version id").to_string());
    }
    assert_ne!(ids[0], ids[1]);
    let deleted = s3
        .delete_object()
        .bucket("vers")
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.delete_marker(), Some(true));
    let marker = deleted.version_id().unwrap().to_string();
    let err = s3
        .get_object()
        .bucket("vers")
        .key("doc")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_no_such_key(), "{err:?}");
    for (id, text) in ids.iter().zip(["first", "second"]) {
        let got = s3
            .get_object()
            .bucket("vers")
            .key("doc")
            .version_id(id)
            .send()
            .await
            .expect("an old version reads");
        assert_eq!(got.version_id(), Some(id.as_str()));
        assert_eq!(body(got).await, text.as_bytes());
    }
    let versions = s3
        .list_object_versions()
        .bucket("vers")
        .send()
        .await
        .unwrap();
    let listed: Vec<_> = versions
        .versions()
        .iter()
        .map(|v| v.version_id().unwrap().to_string())
        .collect();
    assert_eq!(listed, [ids[1].clone(), ids[0].clone()]);
    assert_eq!(versions.delete_markers().len(), 1);
    assert_eq!(
        versions.delete_markers()[0].version_id(),
        Some(marker.as_str())
    );
    assert_eq!(versions.delete_markers()[0].is_latest(), Some(true));
    // Deleting the marker brings the newest version back.
    s3.delete_object()
        .bucket("vers")
        .key("doc")
        .version_id(&marker)
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("vers")
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(body(got).await, b"second");
    let err = s3
        .get_object()
        .bucket("vers")
        .key("doc")
        .version_id("not-a-version")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err.code(), Some("NoSuchVersion" | "InvalidArgument")),
        "{err:?}"
    );
}

#[tokio::test]
async fn presigned_urls_through_aws_sdk_rust() {
    use aws_sdk_s3::presigning::PresigningConfig;
    let server = start();
    let s3 = s3(&server);
    s3.create_bucket().bucket("signed").send().await.unwrap();
    let expires = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let put = s3
        .put_object()
        .bucket("signed")
        .key("up.txt")
        .presigned(expires.clone())
        .await
        .expect("presigned PUT");
    assert_eq!(put.method(), "PUT");
    let target = put
        .uri()
        .strip_prefix(&server.endpoint)
        .unwrap()
        .to_string();
    assert!(target.contains("X-Amz-Signature="), "{target}");
    let headers: Vec<(&str, &str)> = put.headers().collect();
    let (status, answer) = http(&server, "PUT", &target, &headers, b"uploaded by URL");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let got = s3
        .get_object()
        .bucket("signed")
        .key("up.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(body(got).await, b"uploaded by URL");

    let get = s3
        .get_object()
        .bucket("signed")
        .key("up.txt")
        .presigned(expires)
        .await
        .expect("presigned GET");
    let target = get
        .uri()
        .strip_prefix(&server.endpoint)
        .unwrap()
        .to_string();
    let headers: Vec<(&str, &str)> = get.headers().collect();
    assert_eq!(
        http(&server, "GET", &target, &headers, b""),
        (200, b"uploaded by URL".to_vec())
    );
    // A tampered signature is refused.
    let bad = target.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    let (status, answer) = http(&server, "GET", &bad, &headers, b"");
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&answer).contains("SignatureDoesNotMatch"));
    // The URL's key is what is signed: another key with the same query is refused.
    let other = target.replace("/up.txt?", "/other.txt?");
    assert_eq!(http(&server, "GET", &other, &headers, b"").0, 403);
    // Past its expiry the URL is refused.
    let short = s3
        .get_object()
        .bucket("signed")
        .key("up.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let target = short
        .uri()
        .strip_prefix(&server.endpoint)
        .unwrap()
        .to_string();
    advance_clock(&server, 120);
    let (status, answer) = http(&server, "GET", &target, &[], b"");
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&answer).contains("AccessDenied"));
}

#[tokio::test]
async fn object_tagging_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    s3.create_bucket().bucket("tags").send().await.unwrap();
    s3.put_object()
        .bucket("tags")
        .key("k")
        .tagging("team=storage&tier=hot")
        .body(ByteStream::from_static(b"tagged"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(got.tag_count(), Some(2));
    let tags = s3
        .get_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .unwrap();
    let mut pairs: Vec<_> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("team".to_string(), "storage".to_string()),
            ("tier".to_string(), "hot".to_string())
        ]
    );
    s3.put_object_tagging()
        .bucket("tags")
        .key("k")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("only").value("one").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tags replaced");
    let tags = s3
        .get_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_set().len(), 1);
    assert_eq!(tags.tag_set()[0].key(), "only");
    let dup = Tagging::builder()
        .tag_set(Tag::builder().key("a").value("1").build().unwrap())
        .tag_set(Tag::builder().key("a").value("2").build().unwrap())
        .build()
        .unwrap();
    let err = s3
        .put_object_tagging()
        .bucket("tags")
        .key("k")
        .tagging(dup)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidTag"), "{err:?}");
    s3.delete_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .unwrap();
    let tags = s3
        .get_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert!(tags.tag_set().is_empty());
}

#[tokio::test]
async fn bucket_policy_public_read_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    for bucket in ["public-site", "private-site"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        s3.put_object()
            .bucket(bucket)
            .key("index.html")
            .body(ByteStream::from_static(b"<p>hi</p>"))
            .send()
            .await
            .unwrap();
    }
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow",
        "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::public-site/*"}]}"#;
    // New buckets block public policies.
    let err = s3
        .put_bucket_policy()
        .bucket("public-site")
        .policy(policy)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("AccessDenied"), "{err:?}");
    s3.delete_public_access_block()
        .bucket("public-site")
        .send()
        .await
        .unwrap();
    s3.put_bucket_policy()
        .bucket("public-site")
        .policy(policy)
        .send()
        .await
        .expect("policy stored");
    let stored = s3
        .get_bucket_policy()
        .bucket("public-site")
        .send()
        .await
        .unwrap();
    assert!(stored.policy().unwrap().contains("public-site/*"));
    assert_eq!(
        http(&server, "GET", "/public-site/index.html", &[], b""),
        (200, b"<p>hi</p>".to_vec())
    );
    assert_eq!(
        http(&server, "GET", "/private-site/index.html", &[], b"").0,
        403
    );
    // The policy grants reads only.
    assert_eq!(
        http(&server, "PUT", "/public-site/new.html", &[], b"x").0,
        403
    );
    s3.delete_bucket_policy()
        .bucket("public-site")
        .send()
        .await
        .unwrap();
    assert_eq!(
        http(&server, "GET", "/public-site/index.html", &[], b"").0,
        403
    );
}

#[tokio::test]
async fn lifecycle_transition_and_restore_through_aws_sdk_rust() {
    let server = start();
    let s3 = s3(&server);
    s3.create_bucket().bucket("cycle").send().await.unwrap();
    for key in ["logs/a", "keep/b"] {
        s3.put_object()
            .bucket("cycle")
            .key(key)
            .body(ByteStream::from(key.as_bytes().to_vec()))
            .send()
            .await
            .unwrap();
    }
    let rule = LifecycleRule::builder()
        .id("archive-logs")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
        .transitions(
            Transition::builder()
                .days(1)
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        )
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket("cycle")
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("lifecycle stored");
    let rules = s3
        .get_bucket_lifecycle_configuration()
        .bucket("cycle")
        .send()
        .await
        .unwrap();
    assert_eq!(rules.rules()[0].id(), Some("archive-logs"));
    advance_clock(&server, 2 * 86_400);
    // The server's lifecycle tick runs right after the clock moves, then every few seconds.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let head = s3
            .head_object()
            .bucket("cycle")
            .key("logs/a")
            .send()
            .await
            .unwrap();
        if head.storage_class() == Some(&StorageClass::Glacier) {
            break;
        }
        assert!(Instant::now() < deadline, "logs/a was not archived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let err = s3
        .get_object()
        .bucket("cycle")
        .key("logs/a")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_object_state(), "{err:?}");
    let kept = s3
        .get_object()
        .bucket("cycle")
        .key("keep/b")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.storage_class(), None);
    assert_eq!(body(kept).await, b"keep/b");

    let restore = s3
        .restore_object()
        .bucket("cycle")
        .key("logs/a")
        .restore_request(
            RestoreRequest::builder()
                .days(1)
                .glacier_job_parameters(
                    GlacierJobParameters::builder()
                        .tier(Tier::Expedited)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("restore accepted");
    drop(restore);
    let head = s3
        .head_object()
        .bucket("cycle")
        .key("logs/a")
        .send()
        .await
        .unwrap();
    assert_eq!(head.restore(), Some("ongoing-request=\"true\""));
    let err = s3
        .restore_object()
        .bucket("cycle")
        .key("logs/a")
        .restore_request(RestoreRequest::builder().days(1).build())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("RestoreAlreadyInProgress"));
    advance_clock(&server, 600);
    let got = s3
        .get_object()
        .bucket("cycle")
        .key("logs/a")
        .send()
        .await
        .expect("restored copy reads");
    assert_eq!(body(got).await, b"logs/a");
    let head = s3
        .head_object()
        .bucket("cycle")
        .key("logs/a")
        .send()
        .await
        .unwrap();
    assert!(
        head.restore()
            .unwrap()
            .starts_with("ongoing-request=\"false\", expiry-date=")
    );
}
