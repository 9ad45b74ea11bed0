//! The fsync that sled 0.34.7's `flush()` does not do on Linux.
//!
//! Reading sled 0.34.7's I/O path shows two gaps between "`flush()` returned" and "on stable
//! storage": on Linux its log writes are made stable with `sync_file_range`, which neither
//! persists file metadata (a grown file's size) nor flushes the device's write cache; and
//! messages larger than a quarter segment (128 KiB by default, which a leaf of sixteen 8 KiB
//! events reaches) go to files under `blobs/` that are written and never synced. Both survive a
//! killed *process* (the page cache outlives it) but not a power cut. sled's background flusher
//! does call `fsync` on the main file, but only every `flush_every_ms`.
//!
//! So after each group commit's `flush()`, the writer calls [`DiskSync::sync`]: `fsync` every
//! blob file created since the last call and the `blobs/` directory, then `fdatasync` the `db`
//! file. `fsync` acts on the file, not the descriptor, so a descriptor of our own is enough.
//! Turn it off with `SledStoreOptions::fsync_after_flush` only where power-loss durability does
//! not matter (the benchmark reports both). One residual window remains, by construction: the
//! log record pointing at a new blob may reach the disk before the blob does.

use std::fs::File;
use std::path::{Path, PathBuf};

/// Handles for syncing what sled leaves unsynced.
pub(super) struct DiskSync {
    /// sled's main file (`<sled dir>/db`), opened read-only: enough for `fdatasync`.
    db_file: File,
    /// sled's blob directory.
    blobs_dir: PathBuf,
    /// Highest blob id (blob files are named by log sequence number) already synced.
    last_blob: u64,
}

impl DiskSync {
    /// Opens the handles and syncs everything already there (a previous run may have stopped
    /// between a blob write and its sync), plus the directories leading to it.
    pub(super) fn open(sled_dir: &Path) -> std::io::Result<Self> {
        let db_file = File::open(sled_dir.join("db"))?;
        let mut sync = Self {
            db_file,
            blobs_dir: sled_dir.join("blobs"),
            last_blob: 0,
        };
        sync.sync()?;
        sync_dir(sled_dir)?;
        if let Some(parent) = sled_dir.parent() {
            sync_dir(parent)?;
        }
        Ok(sync)
    }

    /// Syncs new blob files, the blob directory if it changed, and the main file.
    pub(super) fn sync(&mut self) -> std::io::Result<()> {
        let mut newest = self.last_blob;
        match std::fs::read_dir(&self.blobs_dir) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry?;
                    let Some(id) = entry
                        .file_name()
                        .to_str()
                        .and_then(|n| n.parse::<u64>().ok())
                    else {
                        continue;
                    };
                    if id > self.last_blob {
                        match File::open(entry.path()) {
                            Ok(file) => file.sync_all()?,
                            // sled collected it in the meantime: nothing to make durable.
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                            Err(e) => return Err(e),
                        }
                        newest = newest.max(id);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if newest > self.last_blob {
            sync_dir(&self.blobs_dir)?;
            self.last_blob = newest;
        }
        self.db_file.sync_data()
    }
}

/// `fsync` on a directory, so entries created in it survive a power cut (a no-op off Unix).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
