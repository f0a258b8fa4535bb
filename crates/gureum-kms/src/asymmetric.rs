//! Asymmetric key material: what each key spec can do, key generation, and the operations on a
//! private key held as PKCS#8 DER (RSA from the `rsa` crate; NIST P-256/384/521 and secp256k1
//! from `p256`/`p384`/`p521`/`k256`). Pure: no storage, no clock.
//!
//! KMS's choices kept here: RSA-PSS uses a salt as long as the digest, with MGF1 over the same
//! digest; ECDSA signatures are DER `Ecdsa-Sig-Value`; OAEP uses one digest for both the label
//! hash and MGF1 with an empty label; ECDH answers the raw shared x-coordinate (Z).

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
            _ => return None,
        })
    }

    /// The key usages KMS allows for the spec.
    pub fn usages(self) -> &'static [&'static str] {
        match self {
            Spec::Rsa(_) => &["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
            Spec::Ec(Curve::Secp256k1) => &["SIGN_VERIFY"],
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
        }
    }

    /// The encryption algorithms of an ENCRYPT_DECRYPT key of this spec.
    pub fn encryption_algorithms(self) -> &'static [&'static str] {
        match self {
            Spec::Rsa(_) => &["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
            Spec::Ec(_) => &[],
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

/// Signs `digest` (already hashed with `algorithm`'s digest) with the private key.
pub fn sign(
    spec: Spec,
    pkcs8: &[u8],
    algorithm: &str,
    digest: &[u8],
) -> Result<Vec<u8>, AsymError> {
    if digest_len(algorithm) != Some(digest.len()) {
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
    }
}

/// Verifies `signature` over `digest` with the public half of the private key.
pub fn verify(
    spec: Spec,
    pkcs8: &[u8],
    algorithm: &str,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), AsymError> {
    if digest_len(algorithm) != Some(digest.len()) {
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
