//! A run's output folder (`--out DIR`) as one set: the files are written into a staging folder
//! beside `DIR` and the staging folder then takes `DIR`'s place in one step, so a reader sees the
//! previous set or the new one, never a mix, and no file of an earlier run survives (`--no-events`
//! leaves no old `events.csv` behind).
//!
//! The step is `renameat2(RENAME_EXCHANGE)` on Linux: both folders exist throughout, and the old
//! set, now at the staging path, is removed afterwards. Where the exchange is not available
//! (another OS, or a filesystem without it) the fallback is two renames, `DIR` to `.DIR.old-PID`
//! and the staging folder to `DIR`: between the two a reader finds no `DIR` at all, still never
//! a mix. On any error the staging folder is removed and `DIR` is left as it was.

use crate::error::SimError;
use crate::metrics::events_csv::Sink;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Every file a run may write into its folder. A folder holding anything else is not replaced:
/// `--out .` must never swap away a working directory.
pub(crate) const RUN_FILES: &[&str] = &[
    "summary.json",
    "record.json",
    "events.csv",
    "jobsets.csv",
    "timeline.csv",
    "timeline.svg",
    "recovery.svg",
    "report.html",
];

/// Environment variable of the fault-injection hook used by the tests (docs/sweeps.md, "Exit
/// codes"): `fail:<file>` makes writing that file fail as a full disk would; `stall` stops
/// before the swap until the process is killed.
pub(crate) const FAULT_ENV: &str = "JOBSET_SIM_OUTPUT_FAULT";

/// Where a set is written: the folder and the staging folder beside it.
#[derive(Debug, Clone)]
pub(crate) struct OutputSet {
    dir: PathBuf,
    staging: PathBuf,
}

impl OutputSet {
    /// Checks, before anything is simulated, that `dir` can take a new set: it is a folder of
    /// run outputs or does not exist yet, and a staging folder can be created beside it (the
    /// parent folders are created if missing).
    pub(crate) fn prepare(dir: &Path) -> Result<OutputSet, SimError> {
        let shown = dir.display().to_string();
        let fail = |what: &str, e: std::io::Error| output_error(&shown, what, e);
        if dir.exists() {
            check_only_run_files(dir)?;
        }
        // A file where a folder of the path must be is a wrong argument (exit 2), not a write
        // that failed.
        let file_on_the_way = (dir.ancestors().skip(1))
            .find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir());
        if let Some(file) = file_on_the_way {
            let why = format!("{} is a file, not a folder", file.display());
            return Err(bad_dir(&shown, &why));
        }
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| fail("cannot create its parent folder", e))?;
        let parent = parent
            .canonicalize()
            .map_err(|e| fail("cannot resolve its parent folder", e))?;
        let name = dir
            .file_name()
            .filter(|n| *n != "." && *n != "..")
            .ok_or_else(|| bad_dir(&shown, "name a folder, not . or .."))?;
        let name = name.to_string_lossy().into_owned();
        remove_stale_staging(&parent, &name);
        let set = OutputSet {
            dir: parent.join(&name),
            staging: parent.join(format!(".{name}.tmp-{}", std::process::id())),
        };
        // The probe: create and remove the staging folder now, so a read-only or full
        // filesystem is found before the simulation, not after it.
        set.make_staging()?;
        let _ = std::fs::remove_dir_all(&set.staging);
        Ok(set)
    }

    /// Starts a file of the set that is written while the run goes (`events.csv`): the staging
    /// folder is created now and the file written into it as `.NAME.part`, renamed to its name
    /// by `commit` once whole. `write` then adds the other files beside it.
    pub(crate) fn stream(&self, name: &'static str) -> Result<StagedFile, SimError> {
        assert!(RUN_FILES.contains(&name), "{name} is not a run output");
        self.make_staging()?;
        let part = self.staging.join(format!(".{name}.part"));
        match std::fs::File::create(&part) {
            Ok(file) => Ok(StagedFile {
                staging: self.staging.clone(),
                shown: self.shown(),
                name,
                part,
                file: Some(file),
                committed: false,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&self.staging);
                Err(output_error(&self.shown(), &format!("writing {name}"), e))
            }
        }
    }

    /// The error of a streamed file whose rows could not be written (`message`, the system's
    /// reason).
    pub(crate) fn stream_failed(&self, name: &str, message: &str) -> SimError {
        SimError::Output(format!(
            "cannot write the output folder {}: writing {name}: {message} (the folder is left as it was)",
            self.shown()
        ))
    }

    /// Writes `files` (name, bytes) as the folder's new contents, all or nothing, together
    /// with the files streamed into the staging folder during the run (`streamed`, committed
    /// here: each takes its name only now).
    pub(crate) fn write(
        &self,
        files: &[(&str, &[u8])],
        streamed: Vec<Box<dyn Sink>>,
    ) -> Result<(), SimError> {
        for (name, _) in files {
            assert!(RUN_FILES.contains(name), "{name} is not a run output");
        }
        let result = if streamed.is_empty() {
            self.make_staging()
        } else {
            streamed.into_iter().try_for_each(|f| f.commit())
        };
        let result = result
            .and_then(|()| self.fill_staging(files))
            .and_then(|()| self.swap());
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
        result
    }

    fn shown(&self) -> String {
        self.dir.display().to_string()
    }

    fn make_staging(&self) -> Result<(), SimError> {
        let _ = std::fs::remove_dir_all(&self.staging);
        std::fs::create_dir(&self.staging).map_err(|e| {
            output_error(
                &self.shown(),
                &format!("cannot create {} beside it", self.staging.display()),
                e,
            )
        })
    }

    fn fill_staging(&self, files: &[(&str, &[u8])]) -> Result<(), SimError> {
        let fault = std::env::var(FAULT_ENV).unwrap_or_default();
        for (name, bytes) in files {
            let path = self.staging.join(name);
            let written = if fault.strip_prefix("fail:") == Some(name) {
                Err(std::io::Error::other(
                    "No space left on device (injected fault)",
                ))
            } else {
                write_synced(&path, bytes)
            };
            written.map_err(|e| output_error(&self.shown(), &format!("writing {name}"), e))?;
        }
        // The entries of the staging folder reach the disk before it takes DIR's place.
        if let Ok(d) = std::fs::File::open(&self.staging) {
            let _ = d.sync_all();
        }
        if fault == "stall" {
            loop {
                std::thread::park();
            }
        }
        Ok(())
    }

    /// Puts the staging folder in `dir`'s place; the old set, if any, is removed afterwards.
    fn swap(&self) -> Result<(), SimError> {
        let fail = |e: std::io::Error| output_error(&self.shown(), "replacing the folder", e);
        if !self.dir.exists() {
            return std::fs::rename(&self.staging, &self.dir).map_err(fail);
        }
        match exchange(&self.staging, &self.dir) {
            Ok(()) => {
                // The staging path now holds the old set.
                let _ = std::fs::remove_dir_all(&self.staging);
                Ok(())
            }
            Err(_) => self.swap_by_two_renames().map_err(fail),
        }
    }

    fn swap_by_two_renames(&self) -> std::io::Result<()> {
        let name = self.dir.file_name().unwrap_or_default().to_string_lossy();
        let old = self
            .dir
            .with_file_name(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(&self.dir, &old)?;
        if let Err(e) = std::fs::rename(&self.staging, &self.dir) {
            let _ = std::fs::rename(&old, &self.dir);
            return Err(e);
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }
}

/// A file of the set written while the run goes (`OutputSet::stream`), unbuffered (the writer
/// over it buffers). Dropped before `commit` (a write error, a failed run, a panic unwinding),
/// it removes the whole staging folder: no half file is left, and `DIR` was never touched.
pub(crate) struct StagedFile {
    staging: PathBuf,
    shown: String,
    name: &'static str,
    part: PathBuf,
    file: Option<std::fs::File>,
    committed: bool,
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("open until committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("open until committed").flush()
    }
}

impl Sink for StagedFile {
    /// The rows reach the disk and the file takes its name in the staging folder.
    fn commit(mut self: Box<Self>) -> Result<(), SimError> {
        let fault = std::env::var(FAULT_ENV).unwrap_or_default();
        let file = self.file.take().expect("committed once");
        let done = if fault.strip_prefix("fail:") == Some(self.name) {
            Err(std::io::Error::other(
                "No space left on device (injected fault)",
            ))
        } else {
            file.sync_all()
                .and_then(|()| std::fs::rename(&self.part, self.staging.join(self.name)))
        };
        let name = self.name;
        done.map_err(|e| output_error(&self.shown, &format!("writing {name}"), e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            self.file = None;
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Swaps two paths atomically (both must exist).
#[cfg(target_os = "linux")]
pub(crate) fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated strings that outlive the call; renameat2 reads them
    // and touches no other memory.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Without an atomic exchange the caller falls back to two renames.
#[cfg(not(target_os = "linux"))]
pub fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// A folder to be replaced must hold nothing but run outputs (and no sub-folders).
fn check_only_run_files(dir: &Path) -> Result<(), SimError> {
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        return Err(bad_dir(&shown, "it exists and is not a folder"));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| output_error(&shown, "cannot list it", e))?;
    let mut foreign: Vec<String> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let is_file = e.file_type().is_ok_and(|t| t.is_file());
            !(is_file && RUN_FILES.iter().any(|r| name == *r))
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let shown_names = foreign
        .iter()
        .take(5)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = if foreign.len() > 5 { ", ..." } else { "" };
    Err(bad_dir(
        &shown,
        &format!(
            "it holds files a run does not write ({shown_names}{more}); a run replaces the whole folder, so give a new or empty folder, or one an earlier run wrote"
        ),
    ))
}

/// Staging and old folders of runs that were killed (their process is gone) are removed.
fn remove_stale_staging(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let pid = file
            .strip_prefix(&format!(".{name}.tmp-"))
            .or_else(|| file.strip_prefix(&format!(".{name}.old-")));
        if let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) {
            if pid != std::process::id() && !process_alive(pid) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true // unknown: leave it
    }
}

fn output_error(dir: &str, what: &str, e: std::io::Error) -> SimError {
    SimError::Output(format!(
        "cannot write the output folder {dir}: {what}: {e} (the folder is left as it was)"
    ))
}

fn bad_dir(dir: &str, why: &str) -> SimError {
    crate::error::InputError::new(dir, format!("--out: {why}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("jobset-sim-out-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_new_set_replaces_the_old_one_whole() {
        let root = scratch("whole");
        let out = root.join("out");
        let set = OutputSet::prepare(&out).unwrap();
        assert!(!out.exists(), "prepare leaves nothing behind");
        assert_eq!(names(&root), Vec::<String>::new());
        set.write(&[("summary.json", b"1"), ("events.csv", b"e")], vec![])
            .unwrap();
        assert_eq!(names(&out), ["events.csv", "summary.json"]);
        let set = OutputSet::prepare(&out).unwrap();
        set.write(&[("summary.json", b"2")], vec![]).unwrap();
        assert_eq!(names(&out), ["summary.json"], "no stale events.csv");
        assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), b"2");
        assert_eq!(names(&root), ["out"], "no staging folder left");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn exchange_swaps_two_folders_at_once() {
        let root = scratch("exchange");
        let (a, b) = (root.join("a"), root.join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        std::fs::write(a.join("x"), "from a").unwrap();
        match exchange(&a, &b) {
            Ok(()) => {
                assert_eq!(std::fs::read_to_string(b.join("x")).unwrap(), "from a");
                assert!(!a.join("x").exists());
            }
            // Not every filesystem has it; the fallback covers those.
            Err(e) => assert!(
                matches!(e.raw_os_error(), Some(22) | Some(38) | Some(95))
                    || e.kind() == std::io::ErrorKind::Unsupported,
                "{e}"
            ),
        }
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn the_fallback_also_replaces_the_whole_set() {
        let root = scratch("fallback");
        let out = root.join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("events.csv"), "old").unwrap();
        let set = OutputSet::prepare(&out).unwrap();
        set.make_staging().unwrap();
        set.fill_staging(&[("summary.json", b"new")]).unwrap();
        set.swap_by_two_renames().unwrap();
        assert_eq!(names(&out), ["summary.json"]);
        assert_eq!(names(&root), ["out"]);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_folder_with_other_files_is_refused() {
        let root = scratch("foreign");
        std::fs::write(root.join("notes.txt"), "mine").unwrap();
        let e = OutputSet::prepare(&root).unwrap_err().to_string();
        assert!(
            e.contains("it holds files a run does not write (notes.txt)"),
            "{e}"
        );
        assert_eq!(names(&root), ["notes.txt"]);
        let e = OutputSet::prepare(Path::new(".")).unwrap_err().to_string();
        assert!(e.contains("--out"), "{e}");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn stale_staging_of_a_dead_process_is_removed() {
        let root = scratch("stale");
        // PIDs are below 2^22 on Linux: this one cannot be running.
        let stale = root.join(".out.tmp-4294967295");
        std::fs::create_dir(&stale).unwrap();
        OutputSet::prepare(&root.join("out")).unwrap();
        assert_eq!(names(&root), Vec::<String>::new());
        std::fs::remove_dir_all(root).unwrap();
    }
}
