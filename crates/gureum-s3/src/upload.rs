//! Receiving an object body (PutObject, UploadPart): into a new blob, with its MD5 and the
//! checksums the request sent or asked for computed on the way, whether the body sits in
//! memory or streams in from the connection chunk by chunk; encrypted on the way when the
//! object is (`sse.rs`).

use std::collections::BTreeMap;

use gureum_core::{AwsError, BodyStream};
use serde_json::Value;

use crate::checksum::{self, Checksummer};
use crate::{S3, errors, md5, str_param};

/// The largest object a single PUT (or one part) may carry: 5 GiB.
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// Bodies up to this size are written on the request's thread; larger ones move the writer to a
/// thread of its own past this point (`offload.rs`), which costs a thread start.
const OFFLOAD_AFTER: u64 = 1024 * 1024;

/// Stands in for a writer moved to its own thread; never written to.
struct Moved;

impl gureum_store::BlobWriter for Moved {
    fn write_chunk(&mut self, _: &[u8]) -> gureum_store::Result<()> {
        Err(gureum_store::StoreError::Engine("blob writer moved".into()))
    }
    fn written(&self) -> u64 {
        0
    }
    fn commit(self: Box<Self>) -> gureum_store::Result<u64> {
        Err(gureum_store::StoreError::Engine("blob writer moved".into()))
    }
}

/// A body stored as a blob (not yet pointed at by any record) and what was computed over it.
pub(crate) struct Received {
    pub size: u64,
    pub md5: [u8; 16],
    /// The checksums to store: every one sent (verified), plus the one `ChecksumAlgorithm` names.
    pub checksums: BTreeMap<String, String>,
}

/// The request members carrying a checksum, in the order of [`checksum::ALGORITHMS`].
const PARAMS: [&str; 5] = [
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
];

/// The checksum algorithms a write must compute (S3's upper-case names): each one it sent a
/// value for, and the one it asked for.
fn wanted(p: &Value) -> Vec<String> {
    let mut out: Vec<String> = checksum::ALGORITHMS
        .iter()
        .zip(PARAMS)
        .filter(|(_, param)| str_param(p, param).is_some())
        .map(|(a, _)| a.to_string())
        .collect();
    if let Some(a) = str_param(p, "ChecksumAlgorithm").map(str::to_ascii_uppercase)
        && checksum::ALGORITHMS.contains(&a.as_str())
        && !out.contains(&a)
    {
        out.push(a);
    }
    out
}

/// Checks the Content-MD5 and `x-amz-checksum-*` members of a write against what was computed
/// over its body, and answers the checksums to store.
pub(crate) fn check_digests(
    p: &Value,
    md5_digest: &[u8; 16],
    computed: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, AwsError> {
    if let Some(header) = str_param(p, "ContentMD5") {
        checksum::verify_content_md5(header, md5_digest)?;
    }
    for (algorithm, value) in &computed {
        let param = checksum::ALGORITHMS
            .iter()
            .position(|a| a == algorithm)
            .map(|i| PARAMS[i]);
        if let Some(given) = param.and_then(|param| str_param(p, param))
            && given.trim() != value
        {
            return Err(errors::bad_checksum(&format!(
                "x-amz-checksum-{}",
                algorithm.to_ascii_lowercase()
            )));
        }
    }
    Ok(computed)
}

/// The digests of a body held in memory.
pub(crate) fn digest_memory(
    p: &Value,
    data: &[u8],
) -> Result<([u8; 16], BTreeMap<String, String>), AwsError> {
    let md5_digest = md5::md5(data);
    let computed = wanted(p)
        .into_iter()
        .filter_map(|a| checksum::compute(&a, data).map(|v| (a, v)))
        .collect();
    Ok((md5_digest, check_digests(p, &md5_digest, computed)?))
}

/// Stores a body held in memory as blob `blob_id`, after checking its digests.
pub(crate) fn receive_memory(
    s3: &S3,
    p: &Value,
    data: &[u8],
    blob_id: &str,
    key: Option<&crate::sse::DataKey>,
) -> Result<Received, AwsError> {
    let (md5, checksums) = digest_memory(p, data)?;
    crate::sse::put(s3, blob_id, data, key)?;
    Ok(Received {
        size: data.len() as u64,
        md5,
        checksums,
    })
}

/// Stores a streaming body as blob `blob_id` chunk by chunk, so the object is never held in
/// memory; the blob is committed only once the whole body arrived and passed every check (the
/// signature's payload checks, `max` bytes, Content-MD5 and checksums), else it is discarded.
pub(crate) async fn receive_stream(
    s3: &S3,
    p: &Value,
    mut stream: BodyStream,
    blob_id: &str,
    max: u64,
    key: Option<&crate::sse::DataKey>,
) -> Result<Received, AwsError> {
    if stream.declared_len.is_some_and(|n| n > max) {
        return Err(errors::entity_too_large());
    }
    // Created here: the writer takes this request's durability scope (its group commit).
    let mut writer = crate::sse::writer(s3, blob_id, key)?;
    let mut md5 = md5::Md5::new();
    let mut running: Vec<(String, Checksummer)> = wanted(p)
        .into_iter()
        .filter_map(|a| Checksummer::new(&a).map(|c| (a, c)))
        .collect();
    let mut size = 0u64;
    // Past `OFFLOAD_AFTER` bytes the writer moves to a thread of its own that encrypts and
    // writes while this one hashes; dropping `offload` on any early return stops that thread and
    // discards the blob.
    let mut offload: Option<crate::offload::Offload> = None;
    while let Some(chunk) = stream.next_chunk().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > max {
            return Err(errors::entity_too_large());
        }
        if offload.is_none() && size > OFFLOAD_AFTER {
            let inline = std::mem::replace(&mut writer, Box::new(Moved));
            offload = Some(crate::offload::Offload::start(inline).map_err(errors::store)?);
        }
        if let Some(off) = &mut offload {
            off.write(chunk.clone()).await.map_err(errors::store)?;
        } else {
            writer.write_chunk(&chunk).map_err(errors::store)?;
        }
        md5.update(&chunk);
        for (_, c) in &mut running {
            c.update(&chunk);
        }
    }
    let md5 = md5.finish();
    let computed = running.into_iter().map(|(a, c)| (a, c.finish())).collect();
    let checksums = check_digests(p, &md5, computed)?;
    if let Some(off) = offload {
        writer = off.finish().await.map_err(errors::store)?;
    }
    // Committed back on this thread, inside the request's durability scope.
    writer.commit().map_err(errors::store)?;
    Ok(Received {
        size,
        md5,
        checksums,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_members_follow_the_algorithms() {
        for (algorithm, param) in checksum::ALGORITHMS.iter().zip(PARAMS) {
            assert_eq!(param, format!("Checksum{algorithm}"));
        }
        let p = serde_json::json!({"ChecksumSHA1": "x", "ChecksumAlgorithm": "crc32c"});
        assert_eq!(wanted(&p), ["SHA1", "CRC32C"]);
    }
}
