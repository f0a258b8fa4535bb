//! The PKCS#11 client behind CloudHSM key stores: the module named by `--pkcs11-module` stands
//! in for the CloudHSM cluster, a token (found by its label, the store's `CloudHsmClusterId`)
//! for the cluster's HSMs, and its user PIN for the `kmsuser` crypto user's password. Keys are
//! generated inside the token (sensitive, never extractable) and every AES-GCM operation runs
//! there: no key material of a custom key store ever reaches gureum's memory or its store.
//!
//! The module is loaded and initialized on first use, so a gureum without one never touches it.
//! One logged-in session per connected key store lives here, in memory; the store's records
//! (`custom_key_stores.rs`) say which stores should be connected, so a restarted gureum logs
//! back in on first use.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use crate::ciphertext::{KEY_LEN, NONCE_LEN, TAG_LEN};

/// Why an HSM operation failed; `custom_key_stores.rs` turns each into KMS's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HsmError {
    /// No PKCS#11 module is configured, or it does not load: no cluster can be reached.
    NoModule(String),
    /// No token carries the cluster id as its label.
    ClusterNotFound,
    /// The token refused the PIN (`INVALID_CREDENTIALS`).
    InvalidCredentials,
    /// The token's user PIN is locked or not set (`USER_LOCKED_OUT`).
    UserLockedOut,
    /// The token is already logged in by a session this store does not own, so the PIN cannot
    /// be checked (`USER_LOGGED_IN`).
    UserLoggedIn,
    /// The key store has no open session.
    NotConnected,
    /// The token holds no key with the label asked for.
    KeyNotFound,
    /// AES-GCM refused the ciphertext: another key, context, or tampered bytes.
    Unauthenticated,
    /// Anything else the module answered.
    Other(String),
}

impl std::fmt::Display for HsmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HsmError::NoModule(why) => write!(f, "no PKCS#11 module: {why}"),
            HsmError::ClusterNotFound => f.write_str("no token has that label"),
            HsmError::InvalidCredentials => f.write_str("the token refused the PIN"),
            HsmError::UserLockedOut => f.write_str("the token's user PIN is locked"),
            HsmError::UserLoggedIn => f.write_str("the token is logged in by another session"),
            HsmError::NotConnected => f.write_str("the key store is not connected"),
            HsmError::KeyNotFound => f.write_str("the token holds no such key"),
            HsmError::Unauthenticated => f.write_str("the ciphertext does not authenticate"),
            HsmError::Other(e) => write!(f, "PKCS#11: {e}"),
        }
    }
}

fn other(e: P11Error) -> HsmError {
    match e {
        P11Error::Pkcs11(RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange, _) => {
            HsmError::Unauthenticated
        }
        e => HsmError::Other(e.to_string()),
    }
}

/// The PKCS#11 module and the sessions of the connected key stores.
pub struct Hsm {
    module: Option<PathBuf>,
    context: OnceLock<Result<Pkcs11, String>>,
    /// Logged-in sessions by custom key store id.
    sessions: Mutex<HashMap<String, Session>>,
}

impl Hsm {
    /// A client of the module at `module`, loaded on first use; `None` reaches no HSM.
    pub fn new(module: Option<PathBuf>) -> Self {
        Hsm {
            module,
            context: OnceLock::new(),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn context(&self) -> Result<&Pkcs11, HsmError> {
        let Some(path) = &self.module else {
            return Err(HsmError::NoModule(
                "gureum was started without --pkcs11-module".into(),
            ));
        };
        let loaded = self.context.get_or_init(|| {
            let p11 = Pkcs11::new(path).map_err(|e| format!("{}: {e}", path.display()))?;
            p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(p11)
        });
        loaded.as_ref().map_err(|e| HsmError::NoModule(e.clone()))
    }

    /// The slot whose token is labelled `label`.
    fn slot(&self, label: &str) -> Result<Slot, HsmError> {
        let p11 = self.context()?;
        for slot in p11.get_slots_with_initialized_token().map_err(other)? {
            let info = p11.get_token_info(slot).map_err(other)?;
            if info.label().trim_end() == label {
                return Ok(slot);
            }
        }
        Err(HsmError::ClusterNotFound)
    }

    /// Whether a token labelled `label` is there (the cluster exists).
    pub fn check_cluster(&self, label: &str) -> Result<(), HsmError> {
        self.slot(label).map(|_| ())
    }

    /// Opens a session on the token `label` for the key store `store_id` and logs in with `pin`.
    pub fn connect(&self, store_id: &str, label: &str, pin: &str) -> Result<(), HsmError> {
        let slot = self.slot(label)?;
        let mut sessions = self.lock();
        if sessions.contains_key(store_id) {
            return Ok(());
        }
        let session = self.context()?.open_rw_session(slot).map_err(other)?;
        match session.login(UserType::User, Some(&AuthPin::from(pin.to_string()))) {
            Ok(()) => {}
            Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
                return Err(HsmError::UserLoggedIn);
            }
            Err(P11Error::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
                return Err(HsmError::InvalidCredentials);
            }
            Err(P11Error::Pkcs11(RvError::PinLocked | RvError::UserPinNotInitialized, _)) => {
                return Err(HsmError::UserLockedOut);
            }
            Err(e) => return Err(other(e)),
        }
        sessions.insert(store_id.to_string(), session);
        Ok(())
    }

    /// Logs out and closes the key store's session, if it has one.
    pub fn disconnect(&self, store_id: &str) {
        if let Some(session) = self.lock().remove(store_id) {
            // Closing the token's last session logs it out anyway.
            let _ = session.logout();
        }
    }

    pub fn is_connected(&self, store_id: &str) -> bool {
        self.lock().contains_key(store_id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_session<T>(
        &self,
        store_id: &str,
        f: impl FnOnce(&Session) -> Result<T, HsmError>,
    ) -> Result<T, HsmError> {
        let sessions = self.lock();
        let session = sessions.get(store_id).ok_or(HsmError::NotConnected)?;
        f(session)
    }

    /// Generates an AES-256 key inside the token, labelled `label`: a token object that is
    /// sensitive and never extractable, usable only to encrypt and decrypt.
    pub fn generate_key(&self, store_id: &str, label: &str) -> Result<(), HsmError> {
        self.with_session(store_id, |session| {
            let template = [
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
                Attribute::ValueLen((KEY_LEN as u64).into()),
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
                Attribute::Wrap(false),
                Attribute::Unwrap(false),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(label.as_bytes().to_vec()),
            ];
            session
                .generate_key(&Mechanism::AesKeyGen, &template)
                .map(|_| ())
                .map_err(other)
        })
    }

    fn find_key(session: &Session, label: &str) -> Result<ObjectHandle, HsmError> {
        let found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(other)?;
        found.into_iter().next().ok_or(HsmError::KeyNotFound)
    }

    /// AES-GCM encryption inside the token with the key `label`: the ciphertext and its 16-byte
    /// tag, as `aes-gcm` lays them out.
    pub fn encrypt(
        &self,
        store_id: &str,
        label: &str,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HsmError> {
        self.with_session(store_id, |session| {
            let key = Self::find_key(session, label)?;
            let mut iv = *nonce;
            let params =
                GcmParams::new(&mut iv, aad, ((TAG_LEN * 8) as u64).into()).map_err(other)?;
            session
                .encrypt(&Mechanism::AesGcm(params), key, plaintext)
                .map_err(other)
        })
    }

    /// AES-GCM decryption inside the token with the key `label` of `sealed` (ciphertext, tag).
    pub fn decrypt(
        &self,
        store_id: &str,
        label: &str,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, HsmError> {
        self.with_session(store_id, |session| {
            let key = Self::find_key(session, label)?;
            let mut iv = *nonce;
            let params =
                GcmParams::new(&mut iv, aad, ((TAG_LEN * 8) as u64).into()).map_err(other)?;
            session
                .decrypt(&Mechanism::AesGcm(params), key, sealed)
                .map_err(|e| match e {
                    // A tag that does not verify: SoftHSM answers CKR_GENERAL_ERROR for it,
                    // other modules CKR_FUNCTION_FAILED or CKR_ENCRYPTED_DATA_INVALID.
                    P11Error::Pkcs11(RvError::GeneralError | RvError::FunctionFailed, _) => {
                        HsmError::Unauthenticated
                    }
                    e => other(e),
                })
        })
    }

    /// Destroys the key object `label`; a key already gone is fine.
    pub fn destroy_key(&self, store_id: &str, label: &str) -> Result<(), HsmError> {
        self.with_session(store_id, |session| match Self::find_key(session, label) {
            Ok(key) => session.destroy_object(key).map_err(other),
            Err(HsmError::KeyNotFound) => Ok(()),
            Err(e) => Err(e),
        })
    }

    /// Closes every session (the store was reset).
    pub fn disconnect_all(&self) {
        let sessions: Vec<Session> = self.lock().drain().map(|(_, s)| s).collect();
        for session in sessions {
            let _ = session.logout();
        }
    }

    /// `len` random bytes from the token's generator.
    pub fn random(&self, store_id: &str, len: usize) -> Result<Vec<u8>, HsmError> {
        self.with_session(store_id, |session| {
            let mut out = vec![0u8; len];
            session.generate_random_slice(&mut out).map_err(other)?;
            Ok(out)
        })
    }
}
