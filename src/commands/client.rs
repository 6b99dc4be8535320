//! `synth client STACK --lang manifest|typescript [--out DIR]`: the app side of a stack, from its
//! spec: the permission manifest (`manifest`) as JSON, or a TypeScript module
//! (`client::typescript`) for browser and Node apps. Printed to stdout, or written to
//! `DIR/<stack>.manifest.json` / `DIR/<stack>.ts` (atomically). Exit 2 for an unknown stack or a
//! spec with input errors.
//! Must not: print an error (it returns it); touch `out/` (the kit is generated on demand, not
//! committed with the templates); generate the kit itself (`client` does).

use std::io::Write;
use std::path::Path;

use crate::cli::{ClientArgs, ClientLang};
use crate::client::typescript;
use crate::error::{Error, Exit};
use crate::layout::display;
use crate::manifest::{load_stacks, manifest, to_json};
use crate::text::escape;

/// Runs `synth client`: the manifest or kit on stdout, or written under `--out`.
pub fn run(
    args: &ClientArgs,
    cwd: &Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Exit, Error> {
    let stacks = load_stacks(cwd, &args.stacks)?;
    let stack = stacks
        .iter()
        .find(|s| s.compiled.loaded.spec.stack == args.stack)
        .ok_or_else(|| Error::Usage {
            command: "client",
            message: format!(
                "no spec in {} has `stack: {}`",
                display(&args.stacks),
                escape(&args.stack)
            ),
            help: None,
        })?;
    let m = manifest(stack);
    let (text, name) = match args.lang {
        ClientLang::Manifest => (to_json(&m), format!("{}.manifest.json", m.stack)),
        ClientLang::Typescript => (typescript::generate(&m), format!("{}.ts", m.stack)),
    };
    let Some(dir) = &args.out else {
        super::print(stdout, &text, "the client")?;
        return Ok(Exit::Ok);
    };
    let path = cwd.join(dir).join(&name);
    let shown = display(&dir.join(&name));
    std::fs::create_dir_all(cwd.join(dir))
        .and_then(|()| {
            let mut tmp = tempfile::NamedTempFile::new_in(cwd.join(dir))?;
            tmp.write_all(text.as_bytes())?;
            tmp.persist(&path).map_err(|e| e.error)?;
            Ok(())
        })
        .map_err(|e| Error::io(&shown, "cannot write", &e))?;
    let _ = writeln!(stderr, "synth: wrote {shown}");
    Ok(Exit::Ok)
}
