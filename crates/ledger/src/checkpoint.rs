//! C2SP tlog-checkpoint: `ORIGIN\nSIZE\nBASE64(ROOT)\n[EXTENSION\n...]`, the text of a signed note.

use crate::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// Why a text is not a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checkpoint line {line}: {expected}")]
pub struct CheckpointError {
    /// 1-based line.
    pub line: usize,
    /// What was expected there.
    pub expected: String,
}

fn err(line: usize, expected: impl Into<String>) -> CheckpointError {
    CheckpointError {
        line,
        expected: expected.into(),
    }
}

/// A log checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (unique name).
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// Optional extension lines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text (ends with a newline).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parse note text.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| err(1, "the checkpoint text must end with a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(err(
                lines.len() + 1,
                "three lines: origin, tree size, base64 root hash",
            ));
        }
        let origin = lines[0];
        if origin.is_empty() || origin.trim() != origin {
            return Err(err(1, "a non-empty origin without surrounding spaces"));
        }
        let size_s = lines[1];
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(err(
                2,
                "the tree size as a decimal number without leading zeros",
            ));
        }
        let size = size_s
            .parse::<u64>()
            .map_err(|_| err(2, "a tree size that fits in 64 bits"))?;
        let root: Hash = B64
            .decode(lines[2])
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| err(3, "the root hash: 32 bytes in standard base64"))?;
        let mut extensions = Vec::new();
        for (i, l) in lines[3..].iter().enumerate() {
            if l.is_empty() {
                return Err(err(i + 4, "a non-empty extension line"));
            }
            extensions.push(l.to_string());
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }
}
