//! A scratch directory for tests, removed when dropped (keeps `tempfile` out of the dependencies).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) struct TestDir(PathBuf);

impl TestDir {
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "gureum-store-test-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("the temp directory is writable in tests");
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the test `test` of this test binary in a child process with `var` set to `dir`, expects
/// it to die (it aborts, like `kill -9`, after its writes), and answers what it printed.
pub(crate) fn run_crash_child(test: &str, var: &str, dir: &Path) -> String {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(var, dir)
        .output()
        .unwrap();
    assert!(!output.status.success(), "the child should have aborted");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
