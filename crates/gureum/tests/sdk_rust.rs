//! aws-sdk-rust against the real `gureum` binary: STS GetCallerIdentity, and the SDK's view of a
//! refused signature.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_sts::config::{BehaviorVersion, Region};

struct Server {
    child: Child,
    endpoint: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("gureum-sdk-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_gureum"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&dir)
        .args(["--log-level", "warn"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gureum starts");
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "gureum did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server {
        child,
        endpoint,
        _dir: TempDir(dir),
    }
}

fn client(endpoint: &str, secret: &str) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", secret, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(config)
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
