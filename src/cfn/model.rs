//! The template model: an ordered tree (`Node`) built in a deliberate order, so emitted templates
//! read like hand-written ones (`Type` before `Properties`, `Version` before `Statement`) and are
//! byte-identical on every run. Intrinsics are emitted in long form (`Fn::GetAtt`), never as
//! YAML tags, which JSON cannot carry and CloudFormation's YAML reader is picky about.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A template value. Maps keep insertion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Node>),
    /// A map, in the order built.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string.
    pub fn s(text: impl Into<String>) -> Node {
        Node::Str(text.into())
    }

    /// A map from pairs, in order.
    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Node)>) -> Node {
        Node::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A list.
    pub fn list(items: impl IntoIterator<Item = Node>) -> Node {
        Node::List(items.into_iter().collect())
    }

    /// `{ Ref: name }`.
    pub fn ref_(name: &str) -> Node {
        Node::map([("Ref", Node::s(name))])
    }

    /// `{ Fn::GetAtt: [resource, attribute] }`.
    pub fn get_att(resource: &str, attribute: &str) -> Node {
        Node::map([(
            "Fn::GetAtt",
            Node::list([Node::s(resource), Node::s(attribute)]),
        )])
    }

    /// `{ Fn::Sub: text }`.
    pub fn sub(text: impl Into<String>) -> Node {
        Node::map([("Fn::Sub", Node::s(text))])
    }

    /// `{ Fn::Sub: [text, { name: value, ... }] }`.
    pub fn sub_with(text: impl Into<String>, vars: Vec<(String, Node)>) -> Node {
        Node::map([("Fn::Sub", Node::list([Node::s(text), Node::Map(vars)]))])
    }

    /// `{ Fn::ImportValue: name }`.
    pub fn import(name: &str) -> Node {
        Node::map([("Fn::ImportValue", Node::s(name))])
    }

    /// `{ Fn::Join: [sep, items] }`.
    pub fn join(sep: &str, items: Vec<Node>) -> Node {
        Node::map([("Fn::Join", Node::list([Node::s(sep), Node::List(items)]))])
    }

    /// The value at `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Int(i) => s.serialize_i64(*i),
            Node::Str(t) => s.serialize_str(t),
            Node::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Map(pairs) => {
                let mut map = s.serialize_map(Some(pairs.len()))?;
                for (k, v) in pairs {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// One resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `AWS::IAM::Role`, ...
    pub kind: &'static str,
    /// `DependsOn`: resources this one must be created after (and deleted before).
    pub depends_on: Vec<String>,
    /// `DeletionPolicy` and `UpdateReplacePolicy` (both the same), when stated.
    pub retention: Option<&'static str>,
    /// `Metadata` (explanations, suppressions).
    pub metadata: Option<Node>,
    /// `Properties`.
    pub properties: Node,
}

impl Resource {
    /// A resource with properties and no metadata.
    pub fn new(kind: &'static str, properties: Node) -> Resource {
        Resource {
            kind,
            depends_on: Vec::new(),
            retention: None,
            metadata: None,
            properties,
        }
    }

    /// Sets `DependsOn`.
    #[must_use]
    pub fn with_depends_on(mut self, ids: Vec<String>) -> Resource {
        self.depends_on = ids;
        self
    }

    /// Sets `DeletionPolicy` and `UpdateReplacePolicy`.
    #[must_use]
    pub fn with_retention(mut self, policy: &'static str) -> Resource {
        self.retention = Some(policy);
        self
    }

    /// Sets (or clears) `Metadata`.
    #[must_use]
    pub fn with_metadata(mut self, metadata: Option<Node>) -> Resource {
        self.metadata = metadata;
        self
    }
}

/// A whole template. Sections are emitted in the conventional order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    /// `Description`.
    pub description: Option<String>,
    /// `Metadata`.
    pub metadata: Option<Node>,
    /// `Parameters`, in order.
    pub parameters: Vec<(String, Node)>,
    /// `Resources`, in order.
    pub resources: Vec<(String, Resource)>,
    /// `Outputs`, in order.
    pub outputs: Vec<(String, Node)>,
}

impl Template {
    /// Appends a resource.
    pub fn push(&mut self, id: &str, resource: Resource) {
        self.resources.push((id.to_owned(), resource));
    }

    /// The resource with logical id `id`.
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.iter().find(|(k, _)| k == id).map(|(_, r)| r)
    }

    /// The template as one tree, sections in CloudFormation's documented order.
    pub fn to_node(&self) -> Node {
        let mut top = vec![("AWSTemplateFormatVersion".to_owned(), Node::s("2010-09-09"))];
        if let Some(d) = &self.description {
            top.push(("Description".into(), Node::s(d.clone())));
        }
        if let Some(m) = &self.metadata {
            top.push(("Metadata".into(), m.clone()));
        }
        if !self.parameters.is_empty() {
            top.push(("Parameters".into(), Node::Map(self.parameters.clone())));
        }
        let resources = self
            .resources
            .iter()
            .map(|(id, r)| {
                let mut body = vec![("Type".to_owned(), Node::s(r.kind))];
                if !r.depends_on.is_empty() {
                    body.push((
                        "DependsOn".into(),
                        Node::list(r.depends_on.iter().map(Node::s)),
                    ));
                }
                if let Some(p) = r.retention {
                    body.push(("DeletionPolicy".into(), Node::s(p)));
                    body.push(("UpdateReplacePolicy".into(), Node::s(p)));
                }
                if let Some(m) = &r.metadata {
                    body.push(("Metadata".into(), m.clone()));
                }
                body.push(("Properties".into(), r.properties.clone()));
                (id.clone(), Node::Map(body))
            })
            .collect();
        top.push(("Resources".into(), Node::Map(resources)));
        if !self.outputs.is_empty() {
            top.push(("Outputs".into(), Node::Map(self.outputs.clone())));
        }
        Node::Map(top)
    }
}
