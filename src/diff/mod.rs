//! `synth diff`: the permission diff of the generated templates (`--out`, default out/) against a
//! base: a git revision (`--base REV`; default the merge base of HEAD with origin/main or main,
//! or HEAD itself on main) or a directory (`--base-dir DIR`). Per stack and per pool role, the
//! grants added and removed in MQTT terms, in each layer (IAM role policy, IoT policy), marked
//! broadening or narrowing; resources added, removed, replaced (with what a replacement breaks
//! here) and modified; trust policy changes leaf by leaf.
//!
//! Parts: [`base`] reads both sides (parsing only the templates whose bytes differ), [`compare`] diffs one stack (its grants in `grants`, its
//! role mappings in `mappings`, its resources in `resources`), [`mqtt`] reads policy resources back as MQTT grants, [`model`] is
//! the report, [`render`] prints text and Markdown.
//!
//! The command (`commands::diff`) reads the arguments, prints the report and decides the exit
//! code: 0, or 1 when `--fail-on` matches (`broadening`: a broadening grant change or a trust
//! policy change, which cannot be judged automatically; `any`: any difference in any template),
//! 2 when a side cannot be read (bad revision, not a repository, unreadable or malformed
//! template).
//!
//! Text and Markdown count the unchanged stacks (`--verbose` lists them by name), and Markdown
//! stays within a GitHub comment (`render::COMMENT_MAX_BYTES`), cut between stacks with a note.
//! `--format json` prints one document, always complete (shape version 1; every field always
//! present):
//!
//! ```text
//! { "version": 1,
//!   "base": { "kind": "git", "rev": "main", "commit": "<40 hex>" } | { "kind": "dir", "dir": "old" },
//!   "out": "out",
//!   "summary": { "stacks_changed", "stacks_unchanged", "broadening", "narrowing", "cross_identity",
//!                "trust_changes", "resources_added", "resources_removed",
//!                "resources_replaced", "resources_modified" },            // counts
//!   "stacks": [ {                           // every stack, unchanged ones too, sorted by name
//!     "stack": "fleet", "status": "added" | "removed" | "changed" | "unchanged",
//!     "base_file": "out/fleet.template.yaml" | null, "file": "out/fleet.template.yaml" | null,
//!     "roles": [ {                                                        // by pool, identities
//!       "pool": "fleet", "pool_renamed_from": null | "old-pool",
//!       "identities": "authenticated" | "unauthenticated",
//!       "role": "member", "renamed_from": null | "old-role",
//!       "status": "added" | "removed" | "changed", "role_id": "FleetAuthenticatedRole",
//!       "grants": [ {                                       // by MQTT target, verb, removed first
//!         "change": "added" | "removed", "kind": "broadening" | "narrowing",
//!         "effect": "Allow" | "Deny", "action": "iot:Subscribe",
//!         "resource": "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topicfilter/a",
//!         "mqtt": "subscribe a" | null,
//!         "layers": [ { "layer": "iam" | "iot", "resource": "<logical id>",
//!                       "policy": "<inline policy name>" | null } ],
//!         "effective": true,
//!         "cross_identity": "<a topic in another identity's subtree it reaches>" (only when so) } ],
//!       "broadened": ["<Metadata.cogsynth.broadened note new in this template>"] } ],
//!     "mappings": [ {                                        // role-mapping changes, by pool
//!       "pool": "service",
//!       "words": "tokens whose `cognito:groups` equals `installers` now get role admin (was role installer)",
//!       "was": "installer" | null, "now": "admin" | null,     // null: no credentials
//!       "kind": "broadening" | "narrowing" | null } ],       // null: as much access as before
//!     "resources": [ {                                                    // by logical id
//!       "logical_id": "FleetIotPolicy", "type": "AWS::IoT::Policy",
//!       "change": "added" | "removed" | "replaced" | "modified",
//!       "replacement": null | { "cause": "property" | "logical-id" | "type",
//!                               "property": "PolicyName" | null, "old": "…", "new": "…" },
//!       "danger": null | "…", "properties": ["PolicyDocument"], "attributes": [],
//!       "metadata": false,
//!       "trust": [ { "path": "/Statement/0/…", "old": "…" | null, "new": "…" | null } ] } ],
//!     "sections": ["Outputs", "Parameters"] } ] }                          // other sections
//! ```

pub mod base;
pub mod compare;
mod grants;
mod mappings;
pub mod model;
pub mod mqtt;
pub mod render;
mod resources;
