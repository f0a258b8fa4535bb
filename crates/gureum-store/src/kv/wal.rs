//! The redb engine's write-ahead log, `<data-dir>/gureum.wal`: each batch of transactions is
//! appended here and synced before it counts as durable, and committed to redb without a sync.
//! A checkpoint (a durable redb commit) now and then makes the log's records redundant, and the
//! log starts again from its beginning.
//!
//! Why: one sync of one sequential append costs about half of a durable redb commit, which writes
//! and syncs every page the batch touched. The file is written over in place (zeroed when it
//! grows), so a sync flushes data only, no file size or extent change.
//!
//! A record is `len: u32 LE | seq: u64 LE | crc32(seq | payload): u32 LE | payload`, the payload
//! a [`WriteSet`]. Batches carry consecutive sequence numbers, and redb stores the newest one it
//! holds with each batch (`META_TABLE`), so recovery replays exactly the records after it and
//! stops at the first record that is torn, corrupt, or not the next number (a record left from
//! before the log last started over).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::kv::overlay::WriteSet;
use crate::{Result, StoreError};

/// The table where redb keeps the log's bookkeeping.
pub(crate) const META_TABLE: &str = "gureum.wal";
/// Its key: the sequence number of the newest batch redb holds (u64 big-endian).
pub(crate) const APPLIED_KEY: &[u8] = b"applied";

const HEADER: usize = 4 + 8 + 4;
/// The log's size is grown in steps of this, zeroed.
const GROW: u64 = 16 * 1024 * 1024;
/// A checkpoint is due once the log holds this much.
pub(crate) const CHECKPOINT_BYTES: u64 = 48 * 1024 * 1024;

/// The open log.
pub(crate) struct Wal {
    file: File,
    /// Where the next record goes.
    offset: u64,
    /// The file's zeroed length.
    len: u64,
}

impl Wal {
    /// Opens (or creates) the log at `path` and answers the records in it after `applied`, in
    /// order. The log then starts over from its beginning: the caller must make the replayed
    /// records durable in redb before appending.
    pub(crate) fn open(path: &Path, applied: u64) -> Result<(Wal, Vec<(u64, WriteSet)>)> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let len = file.metadata()?.len();
        let mut records = Vec::new();
        let mut offset = 0u64;
        let mut expected = None;
        while let Some((seq, payload, next)) = read_record(&file, offset, len)? {
            offset = next;
            if seq <= applied {
                // Already in redb (left from before the last checkpoint or since it).
                if expected.is_some() {
                    break;
                }
                continue;
            }
            if expected.is_some_and(|e| e != seq) || (expected.is_none() && seq != applied + 1) {
                break;
            }
            let Some(writes) = WriteSet::decode(&payload) else {
                break;
            };
            records.push((seq, writes));
            expected = Some(seq + 1);
        }
        let mut wal = Wal {
            file,
            offset: 0,
            len,
        };
        if wal.len < GROW {
            wal.grow(GROW)?;
        }
        Ok((wal, records))
    }

    /// Appends batch `seq` and syncs it: once this returns, the batch survives a crash.
    pub(crate) fn append(&mut self, seq: u64, writes: &WriteSet) -> Result<()> {
        let mut record = vec![0u8; HEADER];
        writes.encode(&mut record);
        let payload_len = u32::try_from(record.len() - HEADER)
            .map_err(|_| StoreError::Engine("a batch too large for the log".into()))?;
        record[0..4].copy_from_slice(&payload_len.to_le_bytes());
        record[4..12].copy_from_slice(&seq.to_le_bytes());
        let crc = checksum(seq, &record[HEADER..]);
        record[12..16].copy_from_slice(&crc.to_le_bytes());
        let end = self.offset + record.len() as u64;
        if end > self.len {
            self.grow(end.div_ceil(GROW) * GROW)?;
        }
        self.file.write_all_at(&record, self.offset)?;
        self.file.sync_data()?;
        self.offset = end;
        Ok(())
    }

    /// Bytes written since the log last started over.
    pub(crate) fn written(&self) -> u64 {
        self.offset
    }

    /// Starts the log over: every record in it is durable in redb (a checkpoint just ran).
    pub(crate) fn restart(&mut self) {
        self.offset = 0;
    }

    /// Zeroes the file up to `len` and makes that durable, so later syncs flush data only.
    fn grow(&mut self, len: u64) -> Result<()> {
        let zeros = vec![0u8; 1024 * 1024];
        let mut at = self.len;
        while at < len {
            let n = (len - at).min(zeros.len() as u64) as usize;
            self.file.write_all_at(&zeros[..n], at)?;
            at += n as u64;
        }
        self.file.sync_all()?;
        self.len = len;
        Ok(())
    }
}

fn checksum(seq: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&seq.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// The record at `offset`: its sequence number, payload and the offset after it; `None` at a
/// torn, zeroed or corrupt record.
fn read_record(file: &File, offset: u64, len: u64) -> io::Result<Option<(u64, Vec<u8>, u64)>> {
    if offset + HEADER as u64 > len {
        return Ok(None);
    }
    let mut header = [0u8; HEADER];
    file.read_exact_at(&mut header, offset)?;
    let payload_len = u64::from(u32::from_le_bytes(header[0..4].try_into().unwrap()));
    let seq = u64::from_le_bytes(header[4..12].try_into().unwrap());
    let crc = u32::from_le_bytes(header[12..16].try_into().unwrap());
    let next = offset + HEADER as u64 + payload_len;
    if seq == 0 || next > len {
        return Ok(None);
    }
    let mut payload = vec![0u8; payload_len as usize];
    file.read_exact_at(&mut payload, offset + HEADER as u64)?;
    if checksum(seq, &payload) != crc {
        return Ok(None);
    }
    Ok(Some((seq, payload, next)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;

    fn batch(key: &[u8], value: Option<&[u8]>) -> WriteSet {
        let mut w = WriteSet::default();
        w.record("t", key, value);
        w
    }

    #[test]
    fn records_after_the_applied_one_replay_in_order() {
        let dir = TestDir::new();
        let path = dir.path().join("log");
        {
            let (mut wal, replay) = Wal::open(&path, 0).unwrap();
            assert!(replay.is_empty());
            wal.append(1, &batch(b"a", Some(b"1"))).unwrap();
            wal.append(2, &batch(b"b", None)).unwrap();
            wal.append(3, &batch(b"c", Some(b""))).unwrap();
        }
        let (_, replay) = Wal::open(&path, 1).unwrap();
        let seqs: Vec<u64> = replay.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [2, 3]);
        assert_eq!(replay[0].1, batch(b"b", None));
        assert_eq!(replay[1].1, batch(b"c", Some(b"")));
        let (_, replay) = Wal::open(&path, 3).unwrap();
        assert!(replay.is_empty());
    }

    #[test]
    fn a_restarted_log_stops_at_records_left_from_before() {
        let dir = TestDir::new();
        let path = dir.path().join("log");
        {
            let (mut wal, _) = Wal::open(&path, 0).unwrap();
            for seq in 1..=5 {
                wal.append(seq, &batch(b"old", Some(b"x"))).unwrap();
            }
            // A checkpoint holds 1..=5; the log starts over and the next batch is 6.
            wal.restart();
            wal.append(6, &batch(b"new", Some(b"y"))).unwrap();
        }
        let (_, replay) = Wal::open(&path, 5).unwrap();
        let seqs: Vec<u64> = replay.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [6], "old records after the new one are not replayed");
        // Crashed right after the checkpoint, before any new record: nothing to replay.
        let (_, replay) = Wal::open(&path, 6).unwrap();
        assert!(replay.is_empty());
    }

    #[test]
    fn a_torn_or_corrupt_record_ends_the_log() {
        let dir = TestDir::new();
        let path = dir.path().join("log");
        {
            let (mut wal, _) = Wal::open(&path, 0).unwrap();
            wal.append(1, &batch(b"a", Some(b"1"))).unwrap();
            wal.append(2, &batch(b"b", Some(b"2"))).unwrap();
        }
        // Flip a payload byte of the second record.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let (_, _, second) = read_record(&file, 0, u64::MAX).unwrap().unwrap();
        let mut byte = [0u8; 1];
        file.read_exact_at(&mut byte, second + HEADER as u64 + 2)
            .unwrap();
        file.write_all_at(&[byte[0] ^ 0xff], second + HEADER as u64 + 2)
            .unwrap();
        let (_, replay) = Wal::open(&path, 0).unwrap();
        assert_eq!(replay.len(), 1);
    }
}
