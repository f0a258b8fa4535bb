//! HMAC keys: GenerateMac and VerifyMac. A key of spec `HMAC_<n>` (usage
//! `GENERATE_VERIFY_MAC`) holds `n / 8` bytes of material, sealed like symmetric material, and
//! computes exactly one algorithm, `HMAC_SHA_<n>` (RFC 2104 over SHA-2, from the `hmac` and
//! `sha2` crates). Verification compares in constant time (`Mac::verify_slice`).

use gureum_core::wire::Blob;
use gureum_core::{AwsError, RequestContext};
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::{self, Committed, KeyRecord, KeyRef};
use crate::{Kms, errors, input, now, unseal_material};

/// The usage every HMAC key has.
pub const GENERATE_VERIFY_MAC: &str = "GENERATE_VERIFY_MAC";
/// The longest message GenerateMac and VerifyMac take.
pub const MAX_MESSAGE: usize = 4096;

/// The material length of an HMAC key spec, or `None` for a spec that is not HMAC.
pub fn spec_len(spec: &str) -> Option<usize> {
    match spec {
        "HMAC_224" => Some(28),
        "HMAC_256" => Some(32),
        "HMAC_384" => Some(48),
        "HMAC_512" => Some(64),
        _ => None,
    }
}

/// The one MAC algorithm a key spec computes.
pub fn algorithm_of(spec: &str) -> Option<&'static str> {
    match spec {
        "HMAC_224" => Some("HMAC_SHA_224"),
        "HMAC_256" => Some("HMAC_SHA_256"),
        "HMAC_384" => Some("HMAC_SHA_384"),
        "HMAC_512" => Some("HMAC_SHA_512"),
        _ => None,
    }
}

macro_rules! with_hmac {
    ($digest:ty, $key:expr, $message:expr, |$m:ident| $body:expr) => {{
        // HMAC takes keys of any length, so this never fails; `None` if it ever did.
        match <hmac::Hmac<$digest> as KeyInit>::new_from_slice($key) {
            Ok(mut $m) => {
                $m.update($message);
                Some($body)
            }
            Err(_) => None,
        }
    }};
}

/// `HMAC(key, message)` with the algorithm's digest; `None` for an unknown algorithm.
pub fn compute(algorithm: &str, key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    match algorithm {
        "HMAC_SHA_224" => with_hmac!(sha2::Sha224, key, message, |m| m
            .finalize()
            .into_bytes()
            .to_vec()),
        "HMAC_SHA_256" => with_hmac!(sha2::Sha256, key, message, |m| m
            .finalize()
            .into_bytes()
            .to_vec()),
        "HMAC_SHA_384" => with_hmac!(sha2::Sha384, key, message, |m| m
            .finalize()
            .into_bytes()
            .to_vec()),
        "HMAC_SHA_512" => with_hmac!(sha2::Sha512, key, message, |m| m
            .finalize()
            .into_bytes()
            .to_vec()),
        _ => None,
    }
}

/// Whether `mac` is `HMAC(key, message)`, compared in constant time.
pub fn verify(algorithm: &str, key: &[u8], message: &[u8], mac: &[u8]) -> bool {
    let ok = match algorithm {
        "HMAC_SHA_224" => with_hmac!(sha2::Sha224, key, message, |m| m.verify_slice(mac)),
        "HMAC_SHA_256" => with_hmac!(sha2::Sha256, key, message, |m| m.verify_slice(mac)),
        "HMAC_SHA_384" => with_hmac!(sha2::Sha384, key, message, |m| m.verify_slice(mac)),
        "HMAC_SHA_512" => with_hmac!(sha2::Sha512, key, message, |m| m.verify_slice(mac)),
        _ => None,
    };
    matches!(ok, Some(Ok(())))
}

fn check_algorithm_name(algorithm: &str) -> Result<(), AwsError> {
    if algorithm_of(&algorithm.replace("HMAC_SHA_", "HMAC_")).is_none() {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{algorithm}' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"
        )));
    }
    Ok(())
}

fn check_message(message: &[u8]) -> Result<(), AwsError> {
    if message.is_empty() || message.len() > MAX_MESSAGE {
        return Err(errors::validation(format!(
            "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and {MAX_MESSAGE}"
        )));
    }
    Ok(())
}

/// The HMAC key `id` names, usable now, whose spec computes `algorithm`; and its material.
fn mac_key(
    kms: &Kms,
    ctx: &RequestContext,
    id: &str,
    algorithm: &str,
) -> Result<(KeyRecord, Vec<u8>), AwsError> {
    let key_ref = KeyRef::parse(ctx, id, true)?;
    let key = model::resolve(&mut Committed(kms.kv()), &key_ref, now(ctx))?;
    key.require_usable()?;
    if key.key_usage != GENERATE_VERIFY_MAC {
        return Err(errors::invalid_key_usage(format!(
            "{} key usage is {} which is not valid for this operation.",
            key.arn(),
            key.key_usage
        )));
    }
    if algorithm_of(&key.key_spec) != Some(algorithm) {
        return Err(errors::invalid_key_usage(format!(
            "Algorithm {algorithm} is incompatible with key spec {}.",
            key.key_spec
        )));
    }
    let material = key
        .current_material()
        .ok_or_else(|| AwsError::new("KMSInternalException", 500, "key has no material"))?;
    let clear = unseal_material(kms, &key, material.version)?;
    Ok((key, clear))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GenerateMacInput {
    key_id: String,
    message: Blob,
    mac_algorithm: String,
}

pub fn generate_mac(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: GenerateMacInput = input(params)?;
    check_message(&i.message.0)?;
    check_algorithm_name(&i.mac_algorithm)?;
    let (key, material) = mac_key(kms, ctx, &i.key_id, &i.mac_algorithm)?;
    let mac = compute(&i.mac_algorithm, &material, &i.message.0)
        .ok_or_else(|| AwsError::new("KMSInternalException", 500, "HMAC failed"))?;
    Ok(json!({
        "Mac": Blob(mac),
        "MacAlgorithm": i.mac_algorithm,
        "KeyId": key.arn(),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VerifyMacInput {
    key_id: String,
    message: Blob,
    mac_algorithm: String,
    mac: Blob,
}

pub fn verify_mac(kms: &Kms, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let i: VerifyMacInput = input(params)?;
    check_message(&i.message.0)?;
    check_algorithm_name(&i.mac_algorithm)?;
    let (key, material) = mac_key(kms, ctx, &i.key_id, &i.mac_algorithm)?;
    if !verify(&i.mac_algorithm, &material, &i.message.0, &i.mac.0) {
        return Err(errors::invalid_mac());
    }
    Ok(json!({
        "KeyId": key.arn(),
        "MacValid": true,
        "MacAlgorithm": i.mac_algorithm,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231 test cases 1, 2, 4, 6 and 7 (case 5's truncated output is not a KMS MAC).
    #[test]
    fn rfc4231_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, [&str; 4]); 5] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                [
                    "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
                    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                ],
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                [
                    "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
                    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                ],
            ),
            (
                hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                [
                    "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
                    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                    "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
                    "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
                ],
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                [
                    "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
                    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
                ],
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                [
                    "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1",
                    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                    "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
                    "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
                ],
            ),
        ];
        let algorithms = [
            "HMAC_SHA_224",
            "HMAC_SHA_256",
            "HMAC_SHA_384",
            "HMAC_SHA_512",
        ];
        for (key, data, expected) in &cases {
            for (alg, want) in algorithms.iter().zip(expected) {
                let want = hex(want);
                assert_eq!(compute(alg, key, data).unwrap(), want, "{alg}");
                assert!(verify(alg, key, data, &want), "{alg}");
                let mut bad = want.clone();
                bad[0] ^= 1;
                assert!(!verify(alg, key, data, &bad), "{alg}");
                assert!(!verify(alg, key, data, &want[..want.len() - 1]), "{alg}");
            }
        }
        assert!(compute("HMAC_SHA_1", b"k", b"m").is_none());
    }

    #[test]
    fn specs() {
        assert_eq!(spec_len("HMAC_224"), Some(28));
        assert_eq!(spec_len("HMAC_512"), Some(64));
        assert_eq!(spec_len("SYMMETRIC_DEFAULT"), None);
        assert_eq!(algorithm_of("HMAC_384"), Some("HMAC_SHA_384"));
    }
}
