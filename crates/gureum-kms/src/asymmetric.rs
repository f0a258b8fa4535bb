//! Asymmetric key material: what each key spec can do, key generation, and the operations on a
//! private key held as PKCS#8 DER (RSA from the `rsa` crate; NIST P-256/384/521 and secp256k1
//! from `p256`/`p384`/`p521`/`k256`; Ed25519 from `ed25519-dalek`). Pure: no storage, no clock.
//!
//! KMS's choices kept here: RSA-PSS uses a salt as long as the digest, with MGF1 over the same
//! digest; ECDSA signatures are DER `Ecdsa-Sig-Value`; OAEP uses one digest for both the label
//! hash and MGF1 with an empty label; ECDH answers the raw shared x-coordinate (Z); Ed25519 signs
//! the whole message (`ED25519_SHA_512`, PureEdDSA) or a SHA-512 digest (`ED25519_PH_SHA_512`,
//! Ed25519ph of RFC 8032 with an empty context).

use std::convert::Infallible;

use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::rand_core::{TryCryptoRng, TryRng};
use sha2::Digest;

/// The RNG every key and signature draws from: the operating system's, through gureum-core.
pub struct SystemRng;

impl TryRng for SystemRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        gureum_core::ids::random_bytes(&mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        gureum_core::ids::random_bytes(&mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        gureum_core::ids::random_bytes(dst);
        Ok(())
    }
}

impl TryCryptoRng for SystemRng {}

/// An elliptic curve KMS offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
    Secp256k1,
}

/// An asymmetric key spec (`KeySpec` and `KeyPairSpec` share the names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    Rsa(usize),
    Ec(Curve),
    Ed25519,
}

impl Spec {
    pub fn parse(spec: &str) -> Option<Spec> {
        Some(match spec {
            "RSA_2048" => Spec::Rsa(2048),
            "RSA_3072" => Spec::Rsa(3072),
            "RSA_4096" => Spec::Rsa(4096),
            "ECC_NIST_P256" => Spec::Ec(Curve::P256),
            "ECC_NIST_P384" => Spec::Ec(Curve::P384),
            "ECC_NIST_P521" => Spec::Ec(Curve::P521),
            "ECC_SECG_P256K1" => Spec::Ec(Curve::Secp256k1),
            "ECC_NIST_EDWARDS25519" => Spec::Ed25519,
            _ => return None,
        })
    }

    /// The key usages KMS allows for the spec.
    pub fn usages(self) -> &'static [&'static str] {
        match self {
            Spec::Rsa(_) => &["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
            Spec::Ec(Curve::Secp256k1) | Spec::Ed25519 => &["SIGN_VERIFY"],
            Spec::Ec(_) => &["SIGN_VERIFY", "KEY_AGREEMENT"],
        }
    }

    /// The signing algorithms of a SIGN_VERIFY key of this spec, in KMS's order.
    pub fn signing_algorithms(self) -> &'static [&'static str] {
        match self {
            Spec::Rsa(_) => &[
                "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384",
                "RSASSA_PKCS1_V1_5_SHA_512",
                "RSASSA_PSS_SHA_256",
                "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512",
            ],
            Spec::Ec(Curve::P256 | Curve::Secp256k1) => &["ECDSA_SHA_256"],
            Spec::Ec(Curve::P384) => &["ECDSA_SHA_384"],
            Spec::Ec(Curve::P521) => &["ECDSA_SHA_512"],
            Spec::Ed25519 => &[ED25519_PH, ED25519],
        }
    }

    /// The encryption algorithms of an ENCRYPT_DECRYPT key of this spec.
    pub fn encryption_algorithms(self) -> &'static [&'static str] {
        match self {
            Spec::Rsa(_) => &["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
            Spec::Ec(_) | Spec::Ed25519 => &[],
        }
    }

    /// The longest plaintext an RSA key of this spec encrypts with OAEP over `algorithm`'s
    /// digest: the modulus length less twice the digest length less two (RFC 8017 7.1.1).
    pub fn max_plaintext(self, algorithm: &str) -> Option<usize> {
        let Spec::Rsa(bits) = self else { return None };
        let h = match algorithm {
            "RSAES_OAEP_SHA_1" => 20,
            "RSAES_OAEP_SHA_256" => 32,
            _ => return None,
        };
        Some(bits / 8 - 2 * h - 2)
    }
}

/// PureEdDSA over the whole message (MessageType RAW only).
pub const ED25519: &str = "ED25519_SHA_512";
/// Ed25519ph over a SHA-512 digest (MessageType DIGEST only).
pub const ED25519_PH: &str = "ED25519_PH_SHA_512";

/// A SHA-512 digest computed elsewhere, handed to `ed25519-dalek`'s Ed25519ph as the digest
/// state it expects: it "finalizes" to the bytes it was given.
#[derive(Clone, Default)]
struct GivenSha512 {
    bytes: Vec<u8>,
}

impl sha2::digest::HashMarker for GivenSha512 {}

impl sha2::digest::OutputSizeUser for GivenSha512 {
    type OutputSize = sha2::digest::consts::U64;
}

impl sha2::digest::Update for GivenSha512 {
    fn update(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
    }
}

impl sha2::digest::FixedOutput for GivenSha512 {
    fn finalize_into(self, out: &mut sha2::digest::Output<Self>) {
        let n = self.bytes.len().min(out.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
    }
}

fn ed25519_key(pkcs8: &[u8]) -> Result<ed25519_dalek::SigningKey, AsymError> {
    ed25519_dalek::SigningKey::from_pkcs8_der(pkcs8).map_err(|_| AsymError::BadKey)
}

/// Why an asymmetric operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsymError {
    /// The stored private key does not parse or does not match its spec (never the caller's
    /// fault).
    BadKey,
    /// A public key given by the caller does not parse or is on another curve.
    BadPublicKey,
    /// A digest whose length does not match the algorithm's.
    BadDigest,
    /// A signature that does not verify (or does not parse).
    InvalidSignature,
    /// A ciphertext that does not decrypt, or a plaintext too long to encrypt.
    BadCiphertext,
}

/// The digest a signing algorithm hashes with, by name: `SHA_256`, `SHA_384`, `SHA_512`.
fn hash_of(algorithm: &str) -> Option<&'static str> {
    ["SHA_256", "SHA_384", "SHA_512"]
        .into_iter()
        .find(|h| algorithm.ends_with(h))
}

/// The digest of `message` as signing `algorithm` hashes it.
pub fn digest(algorithm: &str, message: &[u8]) -> Option<Vec<u8>> {
    Some(match hash_of(algorithm)? {
        "SHA_256" => sha2::Sha256::digest(message).to_vec(),
        "SHA_384" => sha2::Sha384::digest(message).to_vec(),
        _ => sha2::Sha512::digest(message).to_vec(),
    })
}

/// How long a digest for `algorithm` must be.
pub fn digest_len(algorithm: &str) -> Option<usize> {
    Some(match hash_of(algorithm)? {
        "SHA_256" => 32,
        "SHA_384" => 48,
        _ => 64,
    })
}

macro_rules! ec {
    ($curve:expr, |$m:ident| $body:expr) => {
        match $curve {
            Curve::P256 => {
                use p256 as $m;
                $body
            }
            Curve::P384 => {
                use p384 as $m;
                $body
            }
            Curve::P521 => {
                use p521 as $m;
                $body
            }
            Curve::Secp256k1 => {
                use k256 as $m;
                $body
            }
        }
    };
}

/// A fresh private key of `spec`, as PKCS#8 DER.
pub fn generate(spec: Spec) -> Result<Vec<u8>, AsymError> {
    match spec {
        Spec::Rsa(bits) => {
            let key = rsa::PrivateKey::new(&mut SystemRng, bits).map_err(|_| AsymError::BadKey)?;
            let der = key.to_pkcs8_der().map_err(|_| AsymError::BadKey)?;
            Ok(der.as_bytes().to_vec())
        }
        Spec::Ed25519 => {
            let mut seed = [0u8; 32];
            gureum_core::ids::random_bytes(&mut seed);
            // RFC 8410's PKCS#8 v1 (no public key), the form every PKCS#8 reader takes.
            let der = ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: seed,
                public_key: None,
            }
            .to_pkcs8_der()
            .map_err(|_| AsymError::BadKey)?;
            Ok(der.as_bytes().to_vec())
        }
        Spec::Ec(curve) => ec!(curve, |c| {
            let key = <c::SecretKey as rsa::Generate>::try_generate_from_rng(&mut SystemRng)
                .map_err(|_| AsymError::BadKey)?;
            let der = key.to_pkcs8_der().map_err(|_| AsymError::BadKey)?;
            Ok(der.as_bytes().to_vec())
        }),
    }
}

fn rsa_key(pkcs8: &[u8]) -> Result<rsa::PrivateKey, AsymError> {
    rsa::PrivateKey::from_pkcs8_der(pkcs8).map_err(|_| AsymError::BadKey)
}

/// The public half of a PKCS#8 private key, as DER SubjectPublicKeyInfo.
pub fn public_key(spec: Spec, pkcs8: &[u8]) -> Result<Vec<u8>, AsymError> {
    match spec {
        Spec::Rsa(_) => {
            let der = rsa_key(pkcs8)?
                .to_public_key()
                .to_public_key_der()
                .map_err(|_| AsymError::BadKey)?;
            Ok(der.as_bytes().to_vec())
        }
        Spec::Ed25519 => {
            let der = ed25519_key(pkcs8)?
                .verifying_key()
                .to_public_key_der()
                .map_err(|_| AsymError::BadKey)?;
            Ok(der.as_bytes().to_vec())
        }
        Spec::Ec(curve) => ec!(curve, |c| {
            let key = c::SecretKey::from_pkcs8_der(pkcs8).map_err(|_| AsymError::BadKey)?;
            let der = key
                .public_key()
                .to_public_key_der()
                .map_err(|_| AsymError::BadKey)?;
            Ok(der.as_bytes().to_vec())
        }),
    }
}

/// The modulus length in bytes of an RSA private key.
pub fn rsa_modulus_len(pkcs8: &[u8]) -> Result<usize, AsymError> {
    use rsa::traits::PublicKeyParts;
    Ok(rsa_key(pkcs8)?.size())
}

/// Whether `pkcs8` is a private key of `spec` (imported material is checked with this).
pub fn matches_spec(spec: Spec, pkcs8: &[u8]) -> bool {
    match spec {
        Spec::Rsa(bits) => rsa_key(pkcs8).is_ok_and(|k| {
            use rsa::traits::PublicKeyParts;
            k.size() * 8 == bits
        }),
        Spec::Ec(curve) => ec!(curve, |c| c::SecretKey::from_pkcs8_der(pkcs8).is_ok()),
        Spec::Ed25519 => ed25519_key(pkcs8).is_ok(),
    }
}

macro_rules! with_sha {
    ($algorithm:expr, |$d:ident| $body:expr) => {
        match hash_of($algorithm) {
            Some("SHA_256") => {
                type $d = sha2::Sha256;
                $body
            }
            Some("SHA_384") => {
                type $d = sha2::Sha384;
                $body
            }
            _ => {
                type $d = sha2::Sha512;
                $body
            }
        }
    };
}

/// Signs `digest` (already hashed with `algorithm`'s digest) with the private key. For
/// `ED25519_SHA_512` it is the whole message instead.
pub fn sign(
    spec: Spec,
    pkcs8: &[u8],
    algorithm: &str,
    digest: &[u8],
) -> Result<Vec<u8>, AsymError> {
    if spec != Spec::Ed25519 && digest_len(algorithm) != Some(digest.len()) {
        return Err(AsymError::BadDigest);
    }
    match spec {
        Spec::Rsa(_) => {
            let key = rsa_key(pkcs8)?;
            let out = if algorithm.starts_with("RSASSA_PSS_") {
                with_sha!(algorithm, |D| key.pss_sign_prehash::<D>(digest))
            } else {
                with_sha!(algorithm, |D| key.pkcs1v15_sign_prehash::<D>(digest))
            };
            out.map_err(|_| AsymError::BadKey)
        }
        Spec::Ec(curve) => ec!(curve, |c| {
            use c::ecdsa::signature::hazmat::RandomizedPrehashSigner;
            let key = c::SecretKey::from_pkcs8_der(pkcs8).map_err(|_| AsymError::BadKey)?;
            let signer = c::ecdsa::SigningKey::from(&key);
            let sig: c::ecdsa::Signature = signer
                .sign_prehash_with_rng(&mut SystemRng, digest)
                .map_err(|_| AsymError::BadKey)?;
            Ok(sig.to_der().as_bytes().to_vec())
        }),
        Spec::Ed25519 => ed25519_sign(pkcs8, algorithm, digest),
    }
}

/// Ed25519 signing: PureEdDSA over `message`, or Ed25519ph over a 64-byte SHA-512 digest.
fn ed25519_sign(pkcs8: &[u8], algorithm: &str, message: &[u8]) -> Result<Vec<u8>, AsymError> {
    use ed25519_dalek::Signer;
    let key = ed25519_key(pkcs8)?;
    let signature = if algorithm == ED25519 {
        key.sign(message)
    } else {
        if message.len() != 64 {
            return Err(AsymError::BadDigest);
        }
        key.sign_prehashed(given_sha512(message), None)
            .map_err(|_| AsymError::BadKey)?
    };
    Ok(signature.to_bytes().to_vec())
}

/// Ed25519 verification, strict (no small-order keys or malleable signatures).
fn ed25519_verify(
    pkcs8: &[u8],
    algorithm: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<(), AsymError> {
    let key = ed25519_key(pkcs8)?.verifying_key();
    let signature =
        ed25519_dalek::Signature::from_slice(signature).map_err(|_| AsymError::InvalidSignature)?;
    let out = if algorithm == ED25519 {
        key.verify_strict(message, &signature)
    } else {
        if message.len() != 64 {
            return Err(AsymError::BadDigest);
        }
        key.verify_prehashed_strict(given_sha512(message), None, &signature)
    };
    out.map_err(|_| AsymError::InvalidSignature)
}

/// Verifies `signature` over `digest` (the whole message for `ED25519_SHA_512`) with the public
/// half of the private key.
pub fn verify(
    spec: Spec,
    pkcs8: &[u8],
    algorithm: &str,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), AsymError> {
    if spec != Spec::Ed25519 && digest_len(algorithm) != Some(digest.len()) {
        return Err(AsymError::BadDigest);
    }
    match spec {
        Spec::Rsa(_) => {
            let key = rsa_key(pkcs8)?.to_public_key();
            let out = if algorithm.starts_with("RSASSA_PSS_") {
                with_sha!(algorithm, |D| key
                    .pss_verify_prehash::<D>(digest, signature))
            } else {
                with_sha!(algorithm, |D| key
                    .pkcs1v15_verify_prehash::<D>(digest, signature))
            };
            out.map_err(|_| AsymError::InvalidSignature)
        }
        Spec::Ec(curve) => ec!(curve, |c| {
            use c::ecdsa::signature::hazmat::PrehashVerifier;
            let key = c::SecretKey::from_pkcs8_der(pkcs8).map_err(|_| AsymError::BadKey)?;
            let verifier = c::ecdsa::VerifyingKey::from(key.public_key());
            // Either half of s verifies, as with any ECDSA verifier outside Bitcoin.
            let sig = c::ecdsa::Signature::from_der(signature)
                .map_err(|_| AsymError::InvalidSignature)?
                .normalize_s();
            verifier
                .verify_prehash(digest, &sig)
                .map_err(|_| AsymError::InvalidSignature)
        }),
        Spec::Ed25519 => ed25519_verify(pkcs8, algorithm, digest, signature),
    }
}

fn given_sha512(digest: &[u8]) -> GivenSha512 {
    GivenSha512 {
        bytes: digest.to_vec(),
    }
}

/// RSAES-OAEP encryption under the public half of the private key.
pub fn encrypt(pkcs8: &[u8], algorithm: &str, plaintext: &[u8]) -> Result<Vec<u8>, AsymError> {
    let key = rsa_key(pkcs8)?.to_public_key();
    let out = match algorithm {
        "RSAES_OAEP_SHA_1" => key.oaep_encrypt_with_rng::<sha1::Sha1, _>(&mut SystemRng, plaintext),
        _ => key.oaep_encrypt_with_rng::<sha2::Sha256, _>(&mut SystemRng, plaintext),
    };
    out.map_err(|_| AsymError::BadCiphertext)
}

/// RSAES-OAEP decryption with the private key.
pub fn decrypt(pkcs8: &[u8], algorithm: &str, ciphertext: &[u8]) -> Result<Vec<u8>, AsymError> {
    let key = rsa_key(pkcs8)?;
    let out = match algorithm {
        "RSAES_OAEP_SHA_1" => {
            key.oaep_decrypt_with_rng::<sha1::Sha1, _>(&mut SystemRng, ciphertext)
        }
        _ => key.oaep_decrypt_with_rng::<sha2::Sha256, _>(&mut SystemRng, ciphertext),
    };
    out.map_err(|_| AsymError::BadCiphertext)
}

/// ECDH between the private key and a peer's public key (DER SubjectPublicKeyInfo on the same
/// curve): the shared x-coordinate.
pub fn derive_shared_secret(
    curve: Curve,
    pkcs8: &[u8],
    peer_spki: &[u8],
) -> Result<Vec<u8>, AsymError> {
    ec!(curve, |c| {
        let key = c::SecretKey::from_pkcs8_der(pkcs8).map_err(|_| AsymError::BadKey)?;
        let peer =
            c::PublicKey::from_public_key_der(peer_spki).map_err(|_| AsymError::BadPublicKey)?;
        Ok(key.diffie_hellman(&peer).raw_secret_bytes().to_vec())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_curve_signs_verifies_and_agrees() {
        for (name, alg) in [
            ("ECC_NIST_P256", "ECDSA_SHA_256"),
            ("ECC_NIST_P384", "ECDSA_SHA_384"),
            ("ECC_NIST_P521", "ECDSA_SHA_512"),
            ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
        ] {
            let spec = Spec::parse(name).unwrap();
            let key = generate(spec).unwrap();
            assert!(matches_spec(spec, &key), "{name}");
            let d = digest(alg, b"hello").unwrap();
            let sig = sign(spec, &key, alg, &d).unwrap();
            assert_eq!(verify(spec, &key, alg, &d, &sig), Ok(()), "{name}");
            let other = digest(alg, b"hellp").unwrap();
            assert_eq!(
                verify(spec, &key, alg, &other, &sig),
                Err(AsymError::InvalidSignature)
            );
            assert_eq!(sign(spec, &key, alg, &d[1..]), Err(AsymError::BadDigest));
            let Spec::Ec(curve) = spec else { panic!() };
            let peer = generate(spec).unwrap();
            let ab = derive_shared_secret(curve, &key, &public_key(spec, &peer).unwrap()).unwrap();
            let ba = derive_shared_secret(curve, &peer, &public_key(spec, &key).unwrap()).unwrap();
            assert_eq!(ab, ba, "{name}");
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 8032 section 7.1 TEST 1 (Ed25519) and section 7.3 TEST abc (Ed25519ph).
    #[test]
    fn ed25519_rfc8032_vectors() {
        let pure = ed25519_dalek::SigningKey::from_bytes(
            &hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .try_into()
                .unwrap(),
        );
        let pkcs8 = pure.to_pkcs8_der().unwrap().as_bytes().to_vec();
        let want = hex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        );
        assert_eq!(sign(Spec::Ed25519, &pkcs8, ED25519, b"").unwrap(), want);
        assert_eq!(verify(Spec::Ed25519, &pkcs8, ED25519, b"", &want), Ok(()));
        assert_eq!(
            verify(Spec::Ed25519, &pkcs8, ED25519, b"x", &want),
            Err(AsymError::InvalidSignature)
        );

        let ph = ed25519_dalek::SigningKey::from_bytes(
            &hex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
                .try_into()
                .unwrap(),
        );
        let pkcs8 = ph.to_pkcs8_der().unwrap().as_bytes().to_vec();
        let want = hex(
            "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406",
        );
        let digest = sha2::Sha512::digest(b"abc").to_vec();
        assert_eq!(
            sign(Spec::Ed25519, &pkcs8, ED25519_PH, &digest).unwrap(),
            want
        );
        assert_eq!(
            verify(Spec::Ed25519, &pkcs8, ED25519_PH, &digest, &want),
            Ok(())
        );
        assert_eq!(
            sign(Spec::Ed25519, &pkcs8, ED25519_PH, &digest[1..]),
            Err(AsymError::BadDigest)
        );
        let fresh = generate(Spec::Ed25519).unwrap();
        assert!(matches_spec(Spec::Ed25519, &fresh));
        assert_eq!(public_key(Spec::Ed25519, &fresh).unwrap().len(), 44);
    }

    #[test]
    fn rsa_signs_and_encrypts() {
        let spec = Spec::Rsa(2048);
        let key = generate(spec).unwrap();
        assert!(matches_spec(spec, &key));
        assert!(!matches_spec(Spec::Rsa(3072), &key));
        for alg in spec.signing_algorithms() {
            let d = digest(alg, b"message").unwrap();
            let sig = sign(spec, &key, alg, &d).unwrap();
            assert_eq!(sig.len(), 256);
            assert_eq!(verify(spec, &key, alg, &d, &sig), Ok(()), "{alg}");
            let mut bad = sig.clone();
            bad[10] ^= 1;
            assert_eq!(
                verify(spec, &key, alg, &d, &bad),
                Err(AsymError::InvalidSignature)
            );
        }
        for alg in spec.encryption_algorithms() {
            let max = spec.max_plaintext(alg).unwrap();
            let pt = vec![7u8; max];
            let ct = encrypt(&key, alg, &pt).unwrap();
            assert_eq!(decrypt(&key, alg, &ct).unwrap(), pt);
            assert!(encrypt(&key, alg, &vec![7u8; max + 1]).is_err());
        }
        assert_eq!(spec.max_plaintext("RSAES_OAEP_SHA_1"), Some(214));
        assert_eq!(spec.max_plaintext("RSAES_OAEP_SHA_256"), Some(190));
    }
}
