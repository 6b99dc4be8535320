//! `synth client STACK --lang manifest|typescript [--out DIR]`: the app side of a stack, from its
//! spec: the permission manifest (`manifest`) as JSON, or a TypeScript module (`typescript`) for
//! browser and Node apps. Printed to stdout, or written to `DIR/<stack>.manifest.json` /
//! `DIR/<stack>.ts` (atomically). Exit 2 for an unknown stack or a spec with input errors.
//! Must not: touch `out/` (the kit is generated on demand, not committed with the templates).

pub mod typescript;

use std::io::Write;
use std::path::Path;

use crate::cli::{ClientArgs, ClientLang};
use crate::diag::io_words;
use crate::error::Exit;
use crate::layout::display;
use crate::manifest::{load_stacks, manifest, to_json};

/// Runs `synth client`; returns the exit code.
pub fn run(args: &ClientArgs, cwd: &Path, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Exit {
    let stacks = match load_stacks(cwd, &args.stacks) {
        Ok(s) => s,
        Err(rendered) => {
            let _ = write!(stderr, "{rendered}");
            return Exit::Input;
        }
    };
    let Some(stack) = stacks
        .iter()
        .find(|s| s.compiled.loaded.spec.stack == args.stack)
    else {
        let _ = writeln!(
            stderr,
            "synth client: error: no spec in {} has `stack: {}`",
            display(&args.stacks),
            crate::text::escape(&args.stack)
        );
        return Exit::Input;
    };
    let m = manifest(stack);
    let (text, name) = match args.lang {
        ClientLang::Manifest => (to_json(&m), format!("{}.manifest.json", m.stack)),
        ClientLang::Typescript => (typescript::generate(&m), format!("{}.ts", m.stack)),
    };
    match &args.out {
        None => {
            let _ = stdout.write_all(text.as_bytes());
            Exit::Ok
        }
        Some(dir) => {
            let path = cwd.join(dir).join(&name);
            let written = std::fs::create_dir_all(cwd.join(dir)).and_then(|()| {
                let mut tmp = tempfile::NamedTempFile::new_in(cwd.join(dir))?;
                tmp.write_all(text.as_bytes())?;
                tmp.persist(&path).map_err(|e| e.error)?;
                Ok(())
            });
            match written {
                Ok(()) => {
                    let _ = writeln!(stderr, "synth: wrote {}", display(&dir.join(&name)));
                    Exit::Ok
                }
                Err(e) => {
                    let _ = writeln!(
                        stderr,
                        "{}: error[io]: cannot write: {}",
                        display(&dir.join(&name)),
                        io_words(&e)
                    );
                    Exit::Input
                }
            }
        }
    }
}
