//! Console passwords: Create/Get/Update/DeleteLoginProfile, ChangePassword, and the account
//! password policy they are checked against. Passwords are stored as Argon2id hashes only.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use gureum_core::{AwsError, PrincipalKind, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

use super::render;
use super::{Iam, caller_user, empty, errors, input};
use crate::model::{self, LoginProfile, PasswordPolicy};

/// Hashes a password into an Argon2id PHC string with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AwsError> {
    let mut salt = [0u8; 16];
    gureum_core::ids::random_bytes(&mut salt);
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AwsError::new("ServiceFailure", 500, "password hashing failed"))
}

/// Whether `password` matches a hash made by [`hash_password`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

const VIOLATION: &str = "Password does not conform to the account password policy.";

/// Checks a new password against the account's policy, or AWS's default policy when the account
/// has none (at least 8 characters, three of: uppercase, lowercase, digits, symbols).
fn check_password(policy: Option<&PasswordPolicy>, password: &str) -> Result<(), AwsError> {
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password
        .chars()
        .any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace());
    let len = password.chars().count() as i64;
    let ok = match policy {
        None => len >= 8 && [upper, lower, digit, symbol].iter().filter(|b| **b).count() >= 3,
        Some(p) => {
            len >= p.minimum_password_length
                && (!p.require_uppercase || upper)
                && (!p.require_lowercase || lower)
                && (!p.require_numbers || digit)
                && (!p.require_symbols || symbol)
        }
    };
    if !ok {
        return Err(errors::password_policy_violation(VIOLATION));
    }
    Ok(())
}

fn no_login_profile(user: &str) -> AwsError {
    errors::no_such_entity(format!("Login Profile for User {user} cannot be found."))
}

fn target_user(ctx: &RequestContext, named: Option<String>) -> Result<String, AwsError> {
    match named {
        Some(n) => Ok(n),
        None => caller_user(ctx)?.ok_or_else(|| {
            AwsError::validation("Must specify userName when calling with non-User credentials")
        }),
    }
}

fn view(user: &str, p: &LoginProfile) -> Value {
    json!({
        "UserName": user,
        "CreateDate": render::ts(p.create_date),
        "PasswordResetRequired": p.password_reset_required,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateLoginProfile {
    user_name: Option<String>,
    password: Option<String>,
    #[serde(default)]
    password_reset_required: bool,
}

pub fn create_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: CreateLoginProfile = input(params)?;
    let user_name = target_user(ctx, req.user_name)?;
    let password = req
        .password
        .ok_or_else(|| AwsError::validation("Password is required to create a login profile"))?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    if model::get_user(r, account, &user_name)?.is_none() {
        return Err(errors::no_such_user(&user_name));
    }
    check_password(model::get_password_policy(r, account)?.as_ref(), &password)?;
    let profile = LoginProfile {
        password_hash: hash_password(&password)?,
        create_date: ctx.clock.now_secs(),
        password_reset_required: req.password_reset_required,
    };
    let name = model::transact(iam.kv(), |txn| {
        let mut user = model::get_user(txn, account, &user_name)?
            .ok_or_else(|| errors::no_such_user(&user_name))?;
        if user.login_profile.is_some() {
            return Err(errors::already_exists(format!(
                "Login Profile for user {} already exists.",
                user.name
            )));
        }
        user.login_profile = Some(profile.clone());
        model::put_user(txn, account, &user)?;
        Ok(user.name)
    })?;
    Ok(json!({"LoginProfile": view(&name, &profile)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetLoginProfile {
    user_name: Option<String>,
}

pub fn get_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: GetLoginProfile = input(params)?;
    let user_name = target_user(ctx, req.user_name)?;
    let user = model::get_user(
        &mut model::Committed(iam.kv()),
        ctx.account_id(),
        &user_name,
    )?
    .ok_or_else(|| errors::no_such_user(&user_name))?;
    let profile = user
        .login_profile
        .as_ref()
        .ok_or_else(|| no_login_profile(&user.name))?;
    Ok(json!({"LoginProfile": view(&user.name, profile)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateLoginProfile {
    user_name: String,
    password: Option<String>,
    password_reset_required: Option<bool>,
}

pub fn update_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: UpdateLoginProfile = input(params)?;
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let user = model::get_user(r, account, &req.user_name)?
        .ok_or_else(|| errors::no_such_user(&req.user_name))?;
    if user.login_profile.is_none() {
        return Err(no_login_profile(&user.name));
    }
    let hash = match &req.password {
        Some(p) => {
            check_password(model::get_password_policy(r, account)?.as_ref(), p)?;
            Some(hash_password(p)?)
        }
        None => None,
    };
    model::transact(iam.kv(), |txn| {
        let mut user = model::get_user(txn, account, &req.user_name)?
            .ok_or_else(|| errors::no_such_user(&req.user_name))?;
        let name = user.name.clone();
        let profile = user
            .login_profile
            .as_mut()
            .ok_or_else(|| no_login_profile(&name))?;
        if let Some(h) = &hash {
            profile.password_hash = h.clone();
        }
        if let Some(reset) = req.password_reset_required {
            profile.password_reset_required = reset;
        }
        model::put_user(txn, account, &user)
    })?;
    Ok(empty())
}

pub fn delete_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: GetLoginProfile = input(params)?;
    let user_name = target_user(ctx, req.user_name)?;
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        let mut user = model::get_user(txn, account, &user_name)?
            .ok_or_else(|| errors::no_such_user(&user_name))?;
        if user.login_profile.take().is_none() {
            return Err(no_login_profile(&user.name));
        }
        model::put_user(txn, account, &user)
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangePassword {
    old_password: String,
    new_password: String,
}

pub fn change_password(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let req: ChangePassword = input(params)?;
    let PrincipalKind::User { name } = &ctx.principal.kind else {
        return Err(AwsError::new(
            "InvalidUserType",
            400,
            "Only IAM users can change their own password.",
        ));
    };
    let account = ctx.account_id();
    let r = &mut model::Committed(iam.kv());
    let user = model::get_user(r, account, name)?.ok_or_else(|| errors::no_such_user(name))?;
    let profile = user
        .login_profile
        .as_ref()
        .ok_or_else(|| no_login_profile(&user.name))?;
    if !verify_password(&req.old_password, &profile.password_hash) {
        return Err(AwsError::access_denied("The old password is incorrect."));
    }
    let policy = model::get_password_policy(r, account)?;
    if policy
        .as_ref()
        .is_some_and(|p| !p.allow_users_to_change_password)
    {
        return Err(AwsError::access_denied(
            "The account password policy does not allow users to change their password.",
        ));
    }
    check_password(policy.as_ref(), &req.new_password)?;
    let hash = hash_password(&req.new_password)?;
    model::transact(iam.kv(), |txn| {
        let mut user =
            model::get_user(txn, account, name)?.ok_or_else(|| errors::no_such_user(name))?;
        if let Some(p) = user.login_profile.as_mut() {
            p.password_hash = hash.clone();
            p.password_reset_required = false;
        }
        model::put_user(txn, account, &user)
    })?;
    Ok(empty())
}

pub fn get_account_password_policy(
    iam: &Iam,
    ctx: &RequestContext,
    _params: Value,
) -> Result<Value, AwsError> {
    let account = ctx.account_id();
    let p =
        model::get_password_policy(&mut model::Committed(iam.kv()), account)?.ok_or_else(|| {
            errors::no_such_entity(format!(
                "The Password Policy with domain name {account} cannot be found."
            ))
        })?;
    let mut v = json!({
        "MinimumPasswordLength": p.minimum_password_length,
        "RequireSymbols": p.require_symbols,
        "RequireNumbers": p.require_numbers,
        "RequireUppercaseCharacters": p.require_uppercase,
        "RequireLowercaseCharacters": p.require_lowercase,
        "AllowUsersToChangePassword": p.allow_users_to_change_password,
        "ExpirePasswords": p.max_password_age.is_some_and(|a| a > 0),
    });
    if let Some(a) = p.max_password_age {
        v["MaxPasswordAge"] = json!(a);
    }
    if let Some(n) = p.password_reuse_prevention {
        v["PasswordReusePrevention"] = json!(n);
    }
    if let Some(h) = p.hard_expiry {
        v["HardExpiry"] = json!(h);
    }
    Ok(json!({"PasswordPolicy": v}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdatePasswordPolicy {
    minimum_password_length: Option<i64>,
    #[serde(default)]
    require_symbols: bool,
    #[serde(default)]
    require_numbers: bool,
    #[serde(default)]
    require_uppercase_characters: bool,
    #[serde(default)]
    require_lowercase_characters: bool,
    #[serde(default)]
    allow_users_to_change_password: bool,
    max_password_age: Option<i64>,
    password_reuse_prevention: Option<i64>,
    hard_expiry: Option<bool>,
}

pub fn update_account_password_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: UpdatePasswordPolicy = input(params)?;
    let policy = PasswordPolicy {
        // AWS's default when the request names none.
        minimum_password_length: req.minimum_password_length.unwrap_or(6),
        require_symbols: req.require_symbols,
        require_numbers: req.require_numbers,
        require_uppercase: req.require_uppercase_characters,
        require_lowercase: req.require_lowercase_characters,
        allow_users_to_change_password: req.allow_users_to_change_password,
        max_password_age: req.max_password_age,
        password_reuse_prevention: req.password_reuse_prevention,
        hard_expiry: req.hard_expiry,
    };
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        model::put_password_policy(txn, account, &policy)
    })?;
    Ok(empty())
}

pub fn delete_account_password_policy(
    iam: &Iam,
    ctx: &RequestContext,
    _params: Value,
) -> Result<Value, AwsError> {
    let account = ctx.account_id();
    model::transact(iam.kv(), |txn| {
        if !model::delete_password_policy(txn, account)? {
            return Err(errors::no_such_entity(
                "The account policy with name PasswordPolicy cannot be found.",
            ));
        }
        Ok(())
    })?;
    Ok(empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("Correct-Horse-1").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("Correct-Horse-1"));
        assert!(verify_password("Correct-Horse-1", &h));
        assert!(!verify_password("correct-horse-1", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("Correct-Horse-1").unwrap(), "salted");
    }

    #[test]
    fn default_and_custom_password_policies() {
        assert!(check_password(None, "Abcdef1!").is_ok());
        assert!(check_password(None, "abcdef12").is_err(), "two classes");
        assert!(check_password(None, "Ab1!").is_err(), "too short");
        let p = PasswordPolicy {
            minimum_password_length: 10,
            require_symbols: true,
            ..Default::default()
        };
        assert!(check_password(Some(&p), "aaaaaaaaa!").is_ok());
        assert!(check_password(Some(&p), "aaaaaaaaaa").is_err());
        assert_eq!(
            check_password(Some(&p), "a!").unwrap_err().code,
            "PasswordPolicyViolation"
        );
    }
}
