//! Secrets at rest: AES-256-GCM under the instance's master key (`<data-dir>/master.key`, created
//! on first start with mode 0600; random per process in ephemeral mode). Services seal what they
//! must be able to read back (secret access keys, which SigV4 needs in the clear) and hash what
//! they only compare (passwords).

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};

use crate::{Result, StoreError};

const KEY_FILE: &str = "master.key";
const NONCE_LEN: usize = 12;

pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| StoreError::Engine(format!("no random source: {e}")))
}

impl Sealer {
    fn from_key(key: &[u8]) -> Result<Self> {
        let cipher = Aes256Gcm::new_from_slice(key)
            .map_err(|_| StoreError::Corrupt("master key has the wrong length".into()))?;
        Ok(Sealer { cipher })
    }

    /// The master key of `data_dir`, created when absent.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(key) => Self::from_key(&key),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                random(&mut key)?;
                let tmp = data_dir.join(format!("{KEY_FILE}.tmp"));
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&tmp)?;
                file.write_all(&key)?;
                file.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                std::fs::File::open(data_dir)?.sync_all()?;
                Self::from_key(&key)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A key that lives as long as the process.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        // Without a random source nothing in gureum is safe; the process cannot go on.
        random(&mut key).expect("the operating system provides random bytes");
        Self::from_key(&key).expect("a 32-byte key fits AES-256")
    }

    /// Encrypts `plaintext`, bound to `context` (e.g. the record's key), as nonce || ciphertext.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        random(&mut nonce)?;
        let sealed = self
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| StoreError::Engine("sealing failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Sealer::seal`] produced with the same `context`.
    pub fn unseal(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Corrupt("sealed value too short".into()));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| StoreError::Corrupt("bad nonce".into()))?;
        self.cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| {
                StoreError::Corrupt("sealed value does not open with this master key".into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_refuses_tampering_and_other_contexts() {
        let s = Sealer::ephemeral();
        let sealed = s.seal(b"secret", b"ctx").unwrap();
        assert_eq!(s.unseal(&sealed, b"ctx").unwrap(), b"secret");
        assert!(s.unseal(&sealed, b"other").is_err());
        let mut bad = sealed.clone();
        bad[15] ^= 1;
        assert!(s.unseal(&bad, b"ctx").is_err());
        assert!(Sealer::ephemeral().unseal(&sealed, b"ctx").is_err());
        assert!(s.unseal(b"short", b"ctx").is_err());
    }

    #[test]
    fn master_key_persists() {
        let dir = crate::test_dir::TestDir::new();
        let a = Sealer::open(dir.path()).unwrap();
        let sealed = a.seal(b"x", b"").unwrap();
        let b = Sealer::open(dir.path()).unwrap();
        assert_eq!(b.unseal(&sealed, b"").unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
