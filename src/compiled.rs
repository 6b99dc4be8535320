//! What one spec becomes in memory: the loaded spec and its template, as a model, as one tree in
//! emission order, and as JSON. `compile` makes it; the judges of a template (`limits`, `rules`,
//! `expect`) and the commands read it.
//! Must not: run any stage (that is `compile`), or import the judges that read it, so that they
//! can all depend on this without a cycle.

use serde_json::Value;

use crate::cfn::model::{Node, Template};
use crate::spec::Loaded;

/// A spec that could be built, with its template.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The spec and its positions.
    pub loaded: Loaded,
    /// The template model.
    pub template: Template,
    /// The same as one tree, in emission order (what `cfn::emit::emit_node` renders).
    pub node: Node,
    /// The same template as JSON, for rules and evaluation.
    pub json: Value,
}
