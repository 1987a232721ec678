//! Everything otproof writes: to a file atomically (a temporary file renamed into place, so a
//! failed run never leaves a half-written file over a good one) or to the terminal.
//!
//! Every byte for standard output or standard error goes through this module (clippy's
//! `disallowed_macros`/`disallowed_methods` in `clippy.toml` forbid `println!`, `eprintln!`,
//! `std::io::stdout` and friends elsewhere), so two rules hold for the whole CLI:
//!
//! - **No raw control characters.** Human text ([`say!`], [`tell!`], [`print`], [`progress`])
//!   goes through [`otproof_text::terminal`]: newlines and tabs stay, every other control
//!   character (ESC, CR, C1, bidi overrides) is shown escaped and a line is cut at
//!   [`otproof_text::LINE_MAX`] characters. Data asked for on standard output (JSON, `--out -`
//!   reports, tar bundles: [`data`], [`write`]/[`write_bytes`] with `-`) keeps its exact bytes
//!   when standard output is a pipe or a file, so it can be hashed and parsed; JSON escapes
//!   every C0 control itself. When standard output is a terminal, data is shown through
//!   [`otproof_text::terminal`] too: a person reads it, and nothing in it may drive the screen.
//! - **A closed pipe is not a crash.** `otproof catalog list | head -1`: once standard output
//!   is gone, later output is dropped and the command runs to its end, so the exit code is the
//!   command's own verdict (0, 1 or 2), never a panic (101) and never a success that hides a
//!   failed verification. A closed standard error is ignored the same way.

use anyhow::{Context, Result};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output reported a broken pipe: later output is dropped.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// A line of human text on standard output, `format!`-style, through
/// [`otproof_text::terminal`]. Evaluates to `anyhow::Result<()>`: a closed pipe is `Ok`,
/// another write error (a full disk behind `>`) is an error.
macro_rules! say {
    () => {
        $crate::output::say_line("")
    };
    ($($arg:tt)*) => {
        $crate::output::say_line(&format!($($arg)*))
    };
}

/// A line of human text on standard error (messages, warnings, what was written), through
/// [`otproof_text::terminal`]. Never fails: there is nowhere left to report a broken stderr.
macro_rules! tell {
    () => {
        $crate::output::tell_line("")
    };
    ($($arg:tt)*) => {
        $crate::output::tell_line(&format!($($arg)*))
    };
}

pub(crate) use {say, tell};

/// Write bytes to standard output; a broken pipe marks it gone and is not an error.
#[allow(clippy::disallowed_methods)]
fn stdout_bytes(bytes: &[u8]) -> Result<()> {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_GONE.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(e).context("writing to standard output"),
    }
}

/// Write bytes to standard error, ignoring every error.
#[allow(clippy::disallowed_methods)]
fn stderr_bytes(bytes: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes).and_then(|()| err.flush());
}

#[allow(clippy::disallowed_methods)]
fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Is standard error a terminal (progress lines redraw in place)?
#[allow(clippy::disallowed_methods)]
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Human text made safe, with a final newline added when `newline`.
fn human(text: &str, newline: bool) -> String {
    let mut s = otproof_text::terminal(text);
    if newline {
        s.push('\n');
    }
    s
}

/// Data bytes as they go to standard output: exact into a pipe or a file, escaped on a
/// terminal.
fn data_for(bytes: &[u8], terminal: bool) -> std::borrow::Cow<'_, [u8]> {
    if terminal {
        std::borrow::Cow::Owned(
            otproof_text::terminal(&String::from_utf8_lossy(bytes)).into_bytes(),
        )
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

/// A message made by a library (its names already quoted) or a long free text, made one safe
/// line: controls and newlines escaped, cut at [`otproof_text::LINE_MAX`] characters. Names
/// from outside use [`otproof_text::quote`] instead (cut at 200).
pub fn one_line(s: &str) -> String {
    otproof_text::quote_max(s, otproof_text::LINE_MAX)
}

/// [`say!`]: one line on standard output.
pub fn say_line(line: &str) -> Result<()> {
    stdout_bytes(human(line, true).as_bytes())
}

/// [`tell!`]: one line on standard error.
pub fn tell_line(line: &str) {
    stderr_bytes(human(line, true).as_bytes());
}

/// A progress line on a terminal's standard error, redrawn in place (`\r`, clear line); the
/// text is made one safe line.
pub fn progress(line: &str) {
    let mut s = String::from("\r\x1b[2K");
    s.push_str(&otproof_text::quote_max(line, otproof_text::LINE_MAX));
    stderr_bytes(s.as_bytes());
}

/// Human text (a table, a report meant to be read) on standard output, as it is (no newline
/// added).
pub fn print(text: &str) -> Result<()> {
    stdout_bytes(human(text, false).as_bytes())
}

/// Data on standard output (JSON, canonical record bytes): exact bytes into a pipe or file.
pub fn data(text: &str) -> Result<()> {
    stdout_bytes(&data_for(text.as_bytes(), stdout_is_terminal()))
}

/// Write `text` to `path` (or standard output for `-`), replacing it atomically.
pub fn write(path: &Path, text: &str) -> Result<()> {
    write_bytes(path, text.as_bytes())
}

/// Write bytes to `path` (or standard output for `-`), replacing it atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.as_os_str() == "-" {
        return stdout_bytes(&data_for(bytes, stdout_is_terminal()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "cannot write {}: folder {} does not exist (expected an existing folder)",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() {
        anyhow::bail!(
            "cannot write {}: it is a folder (expected a file name)",
            path.display()
        );
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.otproof-tmp-{}", std::process::id()));
    // Replacing a file keeps its permissions (a report kept 0600 stays 0600).
    let keep = std::fs::metadata(path).ok().map(|m| m.permissions());
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        if let Some(p) = keep {
            f.set_permissions(p)?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Tell the user on standard error what was written (nothing for standard output).
pub fn note(path: &Path, what: &str) {
    if path.as_os_str() != "-" {
        tell!("wrote {} ({what})", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_text_is_escaped_and_data_is_exact_off_a_terminal() {
        let fake = "a\u{1b}[2K\r\u{1b}[32mok\u{9b}1m";
        let h = human(fake, true);
        assert!(
            !h.contains('\u{1b}') && !h.contains('\u{9b}') && !h.contains('\r'),
            "{h}"
        );
        assert!(h.ends_with('\n'));
        let json = "{\"n\":\"x\u{9b}y\u{202e}\"}";
        assert_eq!(&*data_for(json.as_bytes(), false), json.as_bytes());
        let shown = data_for(json.as_bytes(), true);
        assert!(!shown.windows(2).any(|w| w == [0xc2, 0x9b]));
        let tar = [0u8, 0x1b, b'x', 0xff];
        assert_eq!(&*data_for(&tar, false), &tar);
        assert!(!data_for(&tar, true).contains(&0x1b));
    }
}
