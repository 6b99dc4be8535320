//! Reading the files synth is given, bounded in size: a multi-gigabyte file is refused with a
//! clear error instead of taking unbounded memory, and anything that is not a regular file (a
//! device such as `/dev/zero`, a FIFO that would block for ever) is refused before it is opened.
//! Must not: interpret what it reads.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::Path;

/// The largest spec synth reads: 1 MiB, a hundred times the largest bundled spec, and the size
/// of the largest template CloudFormation accepts (docs/aws-facts.md §6.1), which a spec is
/// always much smaller than.
pub const SPEC_MAX_BYTES: u64 = 1 << 20;

/// The largest template `synth diff` reads: twice CloudFormation's 1 MiB (docs/aws-facts.md
/// §6.1), so that any template CloudFormation would take is read, and nothing unbounded is.
pub const TEMPLATE_MAX_BYTES: u64 = 2 << 20;

/// The bytes of `path`, or an error when it has more than `limit` bytes. The limit is enforced
/// while reading, so a device or a pipe that never ends costs at most `limit + 1` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // Asked before opening: opening a FIFO for reading waits for a writer, for ever.
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::from(io::ErrorKind::IsADirectory));
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a pipe, socket or device): give synth the file itself",
        ));
    }
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "larger than {} KiB, the most synth reads (is it the right file?)",
                limit / 1024
            ),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_and_refuses_one_byte_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, vec![b'a'; 1024]).unwrap();
        assert_eq!(read_bounded(&path, 1024).unwrap().len(), 1024);
        let e = read_bounded(&path, 1023).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().starts_with("larger than 0 KiB"), "{e}");
        assert_eq!(
            read_bounded(dir.path(), 10).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_pipes_are_refused_before_they_are_opened() {
        let e = read_bounded(Path::new("/dev/zero"), SPEC_MAX_BYTES).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Opening it would block for ever; it must be refused without opening.
            let e = read_bounded(&fifo, SPEC_MAX_BYTES).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        }
    }
}
