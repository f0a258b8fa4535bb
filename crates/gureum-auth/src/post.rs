//! Signatures of browser-based POST uploads (S3 POST Object): the form carries the credential
//! scope and a signature of its base64 policy document, computed with the same signing key as
//! a request signature (SigV4), or the legacy HMAC-SHA1 of the policy (SigV2 forms, which
//! boto3 still writes by default for custom endpoints).

use gureum_core::{Credential, CredentialProvider};
use subtle::ConstantTimeEq;

use crate::{AuthError, AuthMode, Authorization, check_session_token, hmac, signing_key};

/// The signing fields of a POST form.
pub struct PostSignature<'a> {
    /// `AWS4-HMAC-SHA256` (`x-amz-algorithm`), or `AWS` for a SigV2 form.
    pub algorithm: &'a str,
    /// `AKID/20240101/us-east-1/s3/aws4_request` (`x-amz-credential`); for a SigV2 form the
    /// access key id alone (`AWSAccessKeyId`).
    pub credential: &'a str,
    pub signature: &'a str,
    /// The base64 policy document, as sent.
    pub policy: &'a str,
    pub security_token: Option<&'a str>,
}

/// The hex signature of a base64 policy document under a secret and credential scope.
pub fn sign_policy(secret: &str, date: &str, region: &str, service: &str, policy: &str) -> String {
    hex::encode(hmac(
        &signing_key(secret, date, region, service),
        policy.as_bytes(),
    ))
}

/// Checks a POST form's signature and answers whose credential signed it.
pub fn verify_post(
    form: &PostSignature<'_>,
    credentials: &dyn CredentialProvider,
    mode: AuthMode,
    server_secs: i64,
) -> Result<Credential, AuthError> {
    if form.algorithm == "AWS" {
        return verify_v2(form, credentials, mode, server_secs);
    }
    if form.algorithm != "AWS4-HMAC-SHA256" {
        return Err(AuthError::UnsupportedAlgorithm(form.algorithm.to_string()));
    }
    let scope: Vec<&str> = form.credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(AuthError::Malformed(format!(
            "invalid credential {}",
            form.credential
        )));
    };
    let credential = crate::resolve_credential(credentials, access_key_id, mode)?;
    if mode == AuthMode::Enforce {
        let auth = Authorization {
            access_key_id: access_key_id.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers: Vec::new(),
            signature: form.signature.to_string(),
            amz_date: String::new(),
            expires: None,
            session_token: form.security_token.map(str::to_string),
            presigned: false,
        };
        check_session_token(&auth, &credential, server_secs)?;
        let expected = sign_policy(
            &credential.secret_access_key,
            date,
            region,
            service,
            form.policy,
        );
        if !bool::from(expected.as_bytes().ct_eq(form.signature.as_bytes())) {
            return Err(AuthError::SignatureMismatch {
                string_to_sign: form.policy.to_string(),
                canonical_request: String::new(),
            });
        }
    }
    Ok(credential)
}

/// A SigV2 form: the base64 HMAC-SHA1 of the policy under the secret.
fn verify_v2(
    form: &PostSignature<'_>,
    credentials: &dyn CredentialProvider,
    mode: AuthMode,
    server_secs: i64,
) -> Result<Credential, AuthError> {
    let credential = crate::resolve_credential(credentials, form.credential, mode)?;
    if mode == AuthMode::Enforce {
        let auth = Authorization {
            access_key_id: form.credential.to_string(),
            date: String::new(),
            region: String::new(),
            service: String::new(),
            signed_headers: Vec::new(),
            signature: form.signature.to_string(),
            amz_date: String::new(),
            expires: None,
            session_token: form.security_token.map(str::to_string),
            presigned: false,
        };
        check_session_token(&auth, &credential, server_secs)?;
        let expected = crate::v2::sign(&credential.secret_access_key, form.policy);
        if !bool::from(expected.as_bytes().ct_eq(form.signature.as_bytes())) {
            return Err(AuthError::SignatureMismatch {
                string_to_sign: form.policy.to_string(),
                canonical_request: String::new(),
            });
        }
    }
    Ok(credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_aws_documentation_example() {
        // "Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)".
        let policy = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
        assert_eq!(
            sign_policy(
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "20151229",
                "us-east-1",
                "s3",
                policy
            ),
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
        );
    }
}
