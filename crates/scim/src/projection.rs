//! Which attributes a response carries: the `attributes` and `excludedAttributes` parameters of
//! RFC 7644 §3.4.2.5 and §3.9, combined with each attribute's `returned` characteristic
//! (RFC 7643 §7).
//!
//! This module owns output shaping only. It never adds data; it lets the storage layer ask whether
//! an attribute is wanted at all ([`Projection::excludes`]) so it can skip loading a large group's
//! `members` when a client such as Entra sends `excludedAttributes=members`, and which of its
//! sub-attributes are wanted ([`Projection::kept_sub_attributes`]) so the members can be written
//! one by one after the projected resource ([`StreamedResource`]).

use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::{AttrType, Attribute, ResourceType, Returned, Schema, split_urn};

/// The most names one `attributes` or `excludedAttributes` list may hold; there are fewer than
/// 60 attributes and sub-attributes in all, so more is a mistake or an attack, not a request.
pub const MAX_NAMES: usize = 200;

/// One named attribute, resolved against a resource type. Identity is the schema URN plus the
/// canonical attribute name; common attributes resolve against the core schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    /// An extension URN by itself: its whole object.
    Extension(&'static str),
    /// A top-level attribute, or one of its sub-attributes.
    Attribute {
        schema: &'static str,
        attribute: &'static str,
        sub: Option<&'static str>,
    },
}

/// A parsed `attributes` / `excludedAttributes` pair. `Projection::default()` is "no parameters":
/// every attribute returned by default (RFC 7643 §7 `returned: default` and `always`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// `None` when `attributes` was not given (or empty).
    attributes: Option<Vec<Name>>,
    excluded: Vec<Name>,
}

impl Projection {
    /// Parses the two comma-separated query parameters (RFC 7644 §3.4.2.5). Names are
    /// case-insensitive and may be URN-qualified (`urn:...:User:userName`, or an extension URN
    /// alone for its whole object) or name a sub-attribute (`name.givenName`). Names Roster does
    /// not know are ignored, as RFC 7644 leaves them no error; the only error is a list longer
    /// than [`MAX_NAMES`] (400 `tooMany`).
    ///
    /// When both are given, `attributes` selects and `excludedAttributes` then removes from the
    /// selection; RFC 7644 describes each alone and Roster keeps both meaningful.
    pub fn parse(
        rt: &ResourceType,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Projection, ScimError> {
        let attributes = match attributes.map(str::trim) {
            Some(list) if !list.is_empty() => Some(parse_list(rt, list, "attributes")?),
            _ => None,
        };
        let excluded = match excluded {
            Some(list) => parse_list(rt, list, "excludedAttributes")?,
            None => Vec::new(),
        };
        Ok(Projection {
            attributes,
            excluded,
        })
    }

    /// `true` when no attribute was named: the default representation.
    pub fn is_default(&self) -> bool {
        self.attributes.is_none() && self.excluded.is_empty()
    }

    /// `resource` (a full resource with canonical names, as stored) shaped for the response,
    /// written as it is serialized: nothing of the resource is copied. Serializing it gives what
    /// [`Projection::apply`] returns.
    ///
    /// `schemas` and `returned: always` attributes (`id`) are always kept; `returned: never` ones
    /// (`password`) never; `returned: request` ones only when named in `attributes`. Attributes
    /// that are not in `rt`'s schemas are dropped, so nothing unknown leaks into a response.
    pub fn view<'a>(
        &'a self,
        rt: &'a ResourceType,
        resource: &'a Map<String, Value>,
    ) -> Projected<'a> {
        Projected {
            projection: self,
            rt,
            resource: Source::Object(resource),
        }
    }

    /// [`Projection::view`] of a resource given as its top-level attributes, borrowed from
    /// wherever they are kept, in the order a JSON object of them would have (by name): a
    /// resource assembled from several places is written without first being copied into one
    /// object.
    pub fn view_entries<'a>(
        &'a self,
        rt: &'a ResourceType,
        entries: &'a [(&'a str, &'a Value)],
    ) -> Projected<'a> {
        Projected {
            projection: self,
            rt,
            resource: Source::Entries(entries),
        }
    }

    /// [`Projection::view`] as a JSON object, for a caller that needs the value itself.
    pub fn apply(&self, rt: &ResourceType, resource: &Map<String, Value>) -> Map<String, Value> {
        match serde_json::to_value(self.view(rt, resource)) {
            Ok(Value::Object(shaped)) => shaped,
            // A view of JSON values serializes as an object of JSON values: nothing else occurs.
            _ => Map::new(),
        }
    }

    /// `true` when the response will carry (some of) the top-level attribute `name` if the
    /// resource has it; `name` may be URN-qualified, or an extension URN. Unknown names are
    /// never included.
    pub fn includes(&self, rt: &ResourceType, name: &str) -> bool {
        if name.eq_ignore_ascii_case("schemas") {
            return true;
        }
        if let Some(ext) = rt.extension(name) {
            return ext
                .attributes
                .iter()
                .any(|a| self.wants(ext.id, Some(ext.id), a, None));
        }
        match rt.resolve(name) {
            Some(r) => {
                let extension = r.in_extension.then_some(r.schema.id);
                self.wants(r.schema.id, extension, r.attribute, None)
            }
            None => false,
        }
    }

    /// The opposite of [`Projection::includes`]: the storage layer need not load `name`.
    pub fn excludes(&self, rt: &ResourceType, name: &str) -> bool {
        !self.includes(rt, name)
    }

    /// The sub-attributes of the complex attribute `name` (any case, optionally URN-qualified)
    /// that the response carries: what [`Projection::apply`] keeps of each of its values. Empty
    /// when the attribute is not returned at all, is unknown, or is not complex.
    ///
    /// With it a caller writes a large multi-valued attribute (a group's `members`) item by item
    /// with [`StreamedResource`], instead of building it as JSON only to project it.
    pub fn kept_sub_attributes(&self, rt: &ResourceType, name: &str) -> SubAttributes {
        let Some(resolved) = rt.resolve(name) else {
            return SubAttributes {
                attribute: "",
                names: Vec::new(),
            };
        };
        let (schema, attribute) = (resolved.schema.id, resolved.attribute);
        let extension = resolved.in_extension.then_some(schema);
        let wanted =
            attribute.kind == AttrType::Complex && self.wants(schema, extension, attribute, None);
        let names = attribute
            .sub_attributes
            .iter()
            .filter(|sub| wanted && self.wants(schema, extension, attribute, Some(sub)))
            .map(|sub| sub.name)
            .collect();
        SubAttributes {
            attribute: attribute.name,
            names,
        }
    }

    /// What the response keeps of one top-level attribute of `schema` (`extension` is its URN
    /// when it lives in an extension object); `None` when nothing.
    fn keep<'a>(
        &'a self,
        schema: &'static str,
        extension: Option<&'static str>,
        attribute: &'static Attribute,
        value: &'a Value,
    ) -> Option<Kept<'a>> {
        if !self.wants(schema, extension, attribute, None) {
            return None;
        }
        if attribute.kind != AttrType::Complex {
            return Some(Kept::Whole(value));
        }
        let complex = ComplexView {
            projection: self,
            schema,
            extension,
            attribute,
            value,
        };
        (!complex.is_empty()).then_some(Kept::Complex(complex))
    }

    /// Whether `attribute` (or its sub-attribute `sub`) belongs in the response (RFC 7643 §7
    /// `returned`, RFC 7644 §3.9).
    fn wants(
        &self,
        schema: &'static str,
        extension: Option<&'static str>,
        attribute: &Attribute,
        sub: Option<&Attribute>,
    ) -> bool {
        let target = sub.unwrap_or(attribute);
        match target.returned {
            Returned::Never => return false,
            // "always" wins over excludedAttributes and over a selection that does not name it.
            Returned::Always => return true,
            Returned::Default | Returned::Request => {}
        }
        // How a listed name matches: `Select` for `attributes`, `Exclude` for
        // `excludedAttributes`.
        let matches = |names: &[Name], mode: Match| {
            names.iter().any(|n| match *n {
                Name::Extension(urn) => extension == Some(urn),
                Name::Attribute {
                    schema: s,
                    attribute: a,
                    sub: named_sub,
                } => {
                    s == schema
                        && a == attribute.name
                        && match (sub, named_sub, mode) {
                            // The attribute itself is named: all of it is meant, except
                            // "request" sub-attributes, which must be named themselves.
                            (None, None, _) => true,
                            (Some(sub), None, _) => {
                                mode == Match::Exclude || sub.returned != Returned::Request
                            }
                            // One sub-attribute is named: the attribute is selected for it,
                            // but excluding one sub-attribute leaves the rest.
                            (None, Some(_), Match::Select) => true,
                            (None, Some(_), Match::Exclude) => false,
                            (Some(sub), Some(named), _) => sub.name == named,
                        }
                }
            })
        };
        let selected = match &self.attributes {
            Some(names) => matches(names, Match::Select),
            // Without `attributes`, only "request" attributes are left out (RFC 7643 §7).
            None => target.returned == Returned::Default,
        };
        selected && !matches(&self.excluded, Match::Exclude)
    }
}

/// The sub-attributes of one complex attribute that a projection keeps, by canonical name
/// (see [`Projection::kept_sub_attributes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAttributes {
    /// The attribute's canonical name; empty when the name was unknown.
    attribute: &'static str,
    names: Vec<&'static str>,
}

impl SubAttributes {
    /// The canonical name of the attribute (`members`); empty when the name was unknown.
    pub fn attribute(&self) -> &'static str {
        self.attribute
    }

    /// Whether the sub-attribute `name` (any case) is kept.
    pub fn contains(&self, name: &str) -> bool {
        self.names
            .iter()
            .any(|kept| kept.eq_ignore_ascii_case(name))
    }

    /// `true` when nothing of the attribute is returned: leave it out (and need not load it).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The canonical names kept, in schema order.
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }
}

/// A resource as a [`Projection`] shapes it ([`Projection::view`]): serializing it writes the
/// kept attributes straight from the resource, without building the shaped copy.
#[derive(Debug, Clone, Copy)]
pub struct Projected<'a> {
    projection: &'a Projection,
    rt: &'a ResourceType,
    resource: Source<'a>,
}

/// Where a [`Projected`] resource's top-level attributes are.
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    Object(&'a Map<String, Value>),
    Entries(&'a [(&'a str, &'a Value)]),
}

impl<'a> Source<'a> {
    fn iter(self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        let (object, entries) = match self {
            Source::Object(object) => (Some(object), None),
            Source::Entries(entries) => (None, Some(entries)),
        };
        let object = object.into_iter().flatten().map(|(k, v)| (k.as_str(), v));
        let entries = entries.into_iter().flatten().map(|&(k, v)| (k, v));
        object.chain(entries)
    }
}

impl<'a> Projected<'a> {
    /// The attributes kept, each under its canonical name, in the resource's order.
    fn entries(self) -> impl Iterator<Item = (&'a str, Kept<'a>)> {
        self.resource.iter().filter_map(move |(key, value)| {
            if key == "schemas" {
                return Some((key, Kept::Whole(value)));
            }
            if let Some(ext) = self.rt.extension(key) {
                let extension = ExtensionView {
                    projection: self.projection,
                    schema: ext,
                    object: value.as_object()?,
                };
                return (!extension.is_empty()).then_some((ext.id, Kept::Extension(extension)));
            }
            let resolved = self.rt.resolve(key).filter(|r| !r.in_extension)?;
            let kept = self
                .projection
                .keep(resolved.schema.id, None, resolved.attribute, value)?;
            Some((resolved.attribute.name, kept))
        })
    }
}

impl Serialize for Projected<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.entries())
    }
}

/// What a projection keeps of one attribute.
#[derive(Debug, Clone, Copy)]
enum Kept<'a> {
    /// A simple attribute, or `schemas`: all of it.
    Whole(&'a Value),
    /// A complex attribute: the wanted sub-attributes of each value.
    Complex(ComplexView<'a>),
    /// An extension's object: its wanted attributes.
    Extension(ExtensionView<'a>),
}

impl Serialize for Kept<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Kept::Whole(value) => value.serialize(serializer),
            Kept::Complex(complex) => complex.serialize(serializer),
            Kept::Extension(extension) => extension.serialize(serializer),
        }
    }
}

/// A complex attribute's value (one object, or an array of them) with only the sub-attributes
/// the projection wants; values left with none are dropped.
#[derive(Debug, Clone, Copy)]
struct ComplexView<'a> {
    projection: &'a Projection,
    schema: &'static str,
    extension: Option<&'static str>,
    attribute: &'static Attribute,
    value: &'a Value,
}

impl<'a> ComplexView<'a> {
    /// The wanted sub-attributes of one value, by canonical name; none for a value that is not
    /// an object.
    fn kept(self, item: &'a Value) -> impl Iterator<Item = (&'static str, &'a Value)> {
        item.as_object()
            .into_iter()
            .flatten()
            .filter_map(move |(key, value)| {
                let sub = self.attribute.sub_attribute(key)?;
                self.projection
                    .wants(self.schema, self.extension, self.attribute, Some(sub))
                    .then_some((sub.name, value))
            })
    }

    /// The values of a multi-valued attribute that keep something.
    fn items(self, items: &'a [Value]) -> impl Iterator<Item = KeptObject<'a>> {
        items
            .iter()
            .filter(move |item| self.kept(item).next().is_some())
            .map(move |item| KeptObject(self, item))
    }

    fn is_empty(self) -> bool {
        match self.value {
            Value::Array(items) => self.items(items).next().is_none(),
            single => self.kept(single).next().is_none(),
        }
    }
}

impl Serialize for ComplexView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Array(items) => serializer.collect_seq(self.items(items)),
            single => KeptObject(*self, single).serialize(serializer),
        }
    }
}

/// One value of a complex attribute, with the sub-attributes its [`ComplexView`] keeps.
struct KeptObject<'a>(ComplexView<'a>, &'a Value);

impl Serialize for KeptObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.kept(self.1))
    }
}

/// An extension's object with only the attributes the projection wants.
#[derive(Debug, Clone, Copy)]
struct ExtensionView<'a> {
    projection: &'a Projection,
    schema: &'static Schema,
    object: &'a Map<String, Value>,
}

impl<'a> ExtensionView<'a> {
    fn entries(self) -> impl Iterator<Item = (&'static str, Kept<'a>)> {
        self.object.iter().filter_map(move |(key, value)| {
            let attribute = self.schema.attribute(key)?;
            let urn = self.schema.id;
            let kept = self.projection.keep(urn, Some(urn), attribute, value)?;
            Some((attribute.name, kept))
        })
    }

    fn is_empty(self) -> bool {
        self.entries().next().is_none()
    }
}

impl Serialize for ExtensionView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.entries())
    }
}

/// A resource as a projection shapes it ([`Projection::view`]), followed by one multi-valued
/// complex attribute written from an iterator: each item is serialized as the iterator yields
/// it, so a group of 100,000 members costs one pass over its rows, with no JSON value per member
/// and no copy of the list.
///
/// `kept` ([`Projection::kept_sub_attributes`]) names the attribute and the sub-attributes each
/// item must carry (only those); when it keeps none, no item is written. The attribute is written
/// after the resource's own attributes, under its canonical name, and replaces an attribute of
/// that name (any case) in `resource`. Like the view, it leaves the attribute out when there are
/// no items. The iterator is cloned to look ahead and to write, so it should be a cheap one, such
/// as a `map` over a slice.
pub struct StreamedResource<'a, I> {
    resource: Projected<'a>,
    kept: &'a SubAttributes,
    items: I,
}

impl<'a, I> StreamedResource<'a, I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    pub fn new(resource: Projected<'a>, kept: &'a SubAttributes, items: I) -> Self {
        Self {
            resource,
            kept,
            items,
        }
    }
}

impl<I> std::fmt::Debug for StreamedResource<'_, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamedResource")
            .field("resource", &self.resource)
            .field("kept", self.kept)
            .finish_non_exhaustive()
    }
}

impl<I> Serialize for StreamedResource<'_, I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let name = self.kept.attribute;
        let streamed = !self.kept.is_empty() && self.items.clone().next().is_some();
        let mut map = serializer.serialize_map(None)?;
        for (key, kept) in self.resource.entries() {
            if !key.eq_ignore_ascii_case(name) {
                map.serialize_entry(key, &kept)?;
            }
        }
        if streamed {
            map.serialize_entry(name, &Items(self.items.clone()))?;
        }
        map.end()
    }
}

/// The streamed items as a JSON array, written one by one.
struct Items<I>(I);

impl<I> Serialize for Items<I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Select,
    Exclude,
}

fn parse_list(rt: &ResourceType, list: &str, parameter: &str) -> Result<Vec<Name>, ScimError> {
    let names: Vec<String> = split_names(list)
        .into_iter()
        .map(|n| without_value_filter(n.trim()))
        .filter(|n| !n.is_empty())
        .collect();
    if names.len() > MAX_NAMES {
        return Err(ScimError::too_many(format!(
            "{parameter} names {} attributes; at most {MAX_NAMES} are allowed",
            names.len()
        )));
    }
    let mut resolved = Vec::with_capacity(names.len());
    for name in &names {
        if let Some(name) = resolve_name(rt, name)
            && !resolved.contains(&name)
        {
            resolved.push(name);
        }
    }
    Ok(resolved)
}

/// Splits on commas outside brackets, so a value filter's own commas stay in its name.
fn split_names(list: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                names.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    names.push(&list[start..]);
    names
}

/// `emails[type eq "work"].value` names `emails.value`. RFC 7644 §3.9 has attribute names only,
/// but some clients (Microsoft's reference tests among them) put a value filter in `attributes`;
/// returning the whole attribute serves them better than ignoring the name.
fn without_value_filter(name: &str) -> String {
    match (name.find('['), name.rfind(']')) {
        (Some(open), Some(close)) if close > open => {
            format!("{}{}", &name[..open], &name[close + 1..])
        }
        _ => name.to_owned(),
    }
}

/// Resolves `name`, `name.sub`, `urn:...:name[.sub]` or an extension URN; `None` when unknown.
fn resolve_name(rt: &ResourceType, name: &str) -> Option<Name> {
    if let Some(ext) = rt.extension(name) {
        return Some(Name::Extension(ext.id));
    }
    // The URN is split off first: it contains dots of its own ("2.0").
    let (urn, path) = split_urn(name);
    let (top, sub) = match path.split_once('.') {
        Some((top, sub)) => (top, Some(sub)),
        None => (path, None),
    };
    let resolved = match urn {
        Some(urn) => rt.resolve(&format!("{urn}:{top}")),
        None => rt.resolve(top),
    }?;
    let sub = match sub {
        Some(sub) => Some(resolved.attribute.sub_attribute(sub)?.name),
        None => None,
    };
    Some(Name::Attribute {
        schema: resolved.schema.id,
        attribute: resolved.attribute.name,
        sub,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::{GROUP_RESOURCE, USER, USER_RESOURCE};

    const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn stored_user() -> Map<String, Value> {
        json!({
            "schemas": [USER.id, ENT],
            "id": "u1",
            "externalId": "e1",
            "userName": "ada@example.org",
            "password": "secret",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "active": true,
            "emails": [
                {"value": "ada@example.org", "type": "work", "primary": true},
                {"value": "ada@home.org", "type": "home"},
            ],
            "meta": {"resourceType": "User", "location": "https://h/Users/u1"},
            ENT: {"employeeNumber": "7", "manager": {"value": "m1", "displayName": "Boss"}},
            "internalRowId": 12,
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    fn stored_group() -> Map<String, Value> {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "g1",
            "displayName": "Biology 101",
            "members": [{"value": "u1", "display": "Ada"}],
            "meta": {"resourceType": "Group"},
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        let p = Projection::parse(&USER_RESOURCE, attributes, excluded).unwrap();
        Value::Object(p.apply(&USER_RESOURCE, &stored_user()))
    }

    #[test]
    fn a_value_filter_in_attributes_selects_the_whole_attribute() {
        let projected = project(
            Some("emails[type eq \"work\"].value, name[givenName pr]"),
            None,
        );
        assert_eq!(
            projected["emails"],
            json!([{"value": "ada@example.org"}, {"value": "ada@home.org"}])
        );
        assert_eq!(projected["name"]["givenName"], "Ada");
        assert!(projected.get("userName").is_none());
    }

    #[test]
    fn the_default_drops_never_returned_and_unknown_attributes() {
        let mut expected = stored_user();
        expected.remove("password");
        expected.remove("internalRowId");
        assert_eq!(project(None, None), Value::Object(expected));
        assert!(Projection::default().is_default());
    }

    #[test]
    fn attributes_selects_and_keeps_id_and_schemas() {
        assert_eq!(
            project(Some("userName"), None),
            json!({"schemas": [USER.id, ENT], "id": "u1", "userName": "ada@example.org"})
        );
        assert_eq!(
            project(Some("id"), None),
            json!({"schemas": [USER.id, ENT], "id": "u1"})
        );
    }

    #[test]
    fn attribute_names_are_case_insensitive_and_may_be_urn_qualified() {
        assert_eq!(
            project(
                Some(
                    " USERNAME , urn:ietf:params:scim:schemas:core:2.0:User:name.GIVENNAME, \
                     urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
                ),
                None
            ),
            json!({
                "schemas": [USER.id, ENT],
                "id": "u1",
                "userName": "ada@example.org",
                "name": {"givenName": "Ada"},
                ENT: {"employeeNumber": "7"},
            })
        );
    }

    #[test]
    fn a_sub_attribute_selects_it_in_every_value() {
        assert_eq!(
            project(Some("emails.value"), None)["emails"],
            json!([{"value": "ada@example.org"}, {"value": "ada@home.org"}])
        );
    }

    #[test]
    fn an_extension_urn_selects_or_excludes_its_whole_object() {
        assert_eq!(
            project(Some(ENT), None),
            json!({
                "schemas": [USER.id, ENT],
                "id": "u1",
                ENT: {"employeeNumber": "7", "manager": {"value": "m1", "displayName": "Boss"}},
            })
        );
        assert!(project(None, Some(ENT)).get(ENT).is_none());
    }

    #[test]
    fn unknown_names_are_ignored() {
        assert_eq!(
            project(Some("favouriteColour,name.nickname,urn:x:y:userName"), None),
            json!({"schemas": [USER.id, ENT], "id": "u1"})
        );
        assert_eq!(project(None, Some("favouriteColour")), project(None, None));
    }

    #[test]
    fn excluded_attributes_removes_but_never_id_or_schemas() {
        let out = project(None, Some("emails,id,schemas,meta,name.familyName"));
        assert_eq!(out["id"], "u1");
        assert_eq!(out["schemas"], json!([USER.id, ENT]));
        assert!(out.get("emails").is_none());
        assert!(out.get("meta").is_none());
        assert_eq!(out["name"], json!({"givenName": "Ada"}));
        assert_eq!(out["userName"], "ada@example.org");
    }

    #[test]
    fn password_is_never_returned_even_when_asked_for() {
        assert_eq!(
            project(Some("password"), None),
            json!({"schemas": [USER.id, ENT], "id": "u1"})
        );
    }

    #[test]
    fn excluded_attributes_members_removes_members() {
        let p = Projection::parse(&GROUP_RESOURCE, None, Some("members")).unwrap();
        assert_eq!(
            Value::Object(p.apply(&GROUP_RESOURCE, &stored_group())),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "id": "g1",
                "displayName": "Biology 101",
                "meta": {"resourceType": "Group"},
            })
        );
        assert!(p.excludes(&GROUP_RESOURCE, "members"));
        assert!(p.includes(&GROUP_RESOURCE, "displayName"));
    }

    #[test]
    fn includes_tells_storage_what_to_load() {
        let all = Projection::default();
        assert!(all.includes(&GROUP_RESOURCE, "members"));
        assert!(all.excludes(&USER_RESOURCE, "password"));
        assert!(all.includes(&USER_RESOURCE, ENT));

        // Entra's membership check: `attributes=id` needs no members.
        let id_only = Projection::parse(&GROUP_RESOURCE, Some("id"), None).unwrap();
        assert!(id_only.excludes(&GROUP_RESOURCE, "members"));
        assert!(id_only.includes(&GROUP_RESOURCE, "id"));

        let member_ids = Projection::parse(&GROUP_RESOURCE, Some("members.value"), None).unwrap();
        assert!(member_ids.includes(&GROUP_RESOURCE, "MEMBERS"));
        assert!(member_ids.excludes(&GROUP_RESOURCE, "displayName"));

        let employee = Projection::parse(
            &USER_RESOURCE,
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
            None,
        )
        .unwrap();
        assert!(employee.includes(&USER_RESOURCE, ENT));
        assert!(employee.excludes(&USER_RESOURCE, "emails"));
        assert!(all.excludes(&USER_RESOURCE, "noSuchThing"));
    }

    #[test]
    fn both_parameters_select_then_exclude() {
        assert_eq!(
            project(Some("name,emails"), Some("emails.type,name.givenName")),
            json!({
                "schemas": [USER.id, ENT],
                "id": "u1",
                "name": {"familyName": "Lovelace"},
                "emails": [
                    {"value": "ada@example.org", "primary": true},
                    {"value": "ada@home.org"},
                ],
            })
        );
    }

    #[test]
    fn empty_parameters_mean_the_default() {
        let p = Projection::parse(&USER_RESOURCE, Some(" "), Some("")).unwrap();
        assert!(p.is_default());
    }

    #[test]
    fn request_attributes_appear_only_when_named() {
        static SUBS: [Attribute; 2] = [
            Attribute::new("value", AttrType::String),
            Attribute {
                returned: Returned::Request,
                ..Attribute::new("secret", AttrType::String)
            },
        ];
        static ATTRS: [Attribute; 2] = [
            Attribute {
                returned: Returned::Request,
                ..Attribute::new("audit", AttrType::String)
            },
            Attribute {
                sub_attributes: &SUBS,
                ..Attribute::new("thing", AttrType::Complex)
            },
        ];
        static SCHEMA: Schema = Schema {
            id: "urn:example:Thing",
            name: "Thing",
            description: "",
            attributes: &ATTRS,
        };
        static RT: ResourceType = ResourceType {
            schema: &SCHEMA,
            extensions: &[],
            ..GROUP_RESOURCE
        };
        let resource = json!({"id": "t1", "audit": "a", "thing": {"value": "v", "secret": "s"}});
        let resource = resource.as_object().unwrap();
        let default = Projection::default().apply(&RT, resource);
        assert_eq!(
            Value::Object(default),
            json!({"id": "t1", "thing": {"value": "v"}})
        );
        let named = Projection::parse(&RT, Some("audit,thing.secret"), None).unwrap();
        assert_eq!(
            Value::Object(named.apply(&RT, resource)),
            json!({"id": "t1", "audit": "a", "thing": {"secret": "s"}})
        );
        let whole = Projection::parse(&RT, Some("thing"), None).unwrap();
        assert_eq!(
            Value::Object(whole.apply(&RT, resource)),
            json!({"id": "t1", "thing": {"value": "v"}})
        );
    }

    /// A member row as a caller streams it: only the kept sub-attributes, no JSON value.
    struct MemberRow<'a> {
        id: &'a str,
        kept: &'a SubAttributes,
    }

    impl Serialize for MemberRow<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(None)?;
            if self.kept.contains("value") {
                map.serialize_entry("value", self.id)?;
            }
            if self.kept.contains("$ref") {
                map.serialize_entry("$ref", &format!("https://h/Users/{}", self.id))?;
            }
            if self.kept.contains("type") {
                map.serialize_entry("type", "User")?;
            }
            map.end()
        }
    }

    fn member_value(id: &str) -> Value {
        json!({"value": id, "$ref": format!("https://h/Users/{id}"), "type": "User"})
    }

    /// The group of `stored_group` with `ids` as members, projected and streamed: the text and
    /// the kept sub-attributes.
    fn streamed_group(p: &Projection, ids: &[&str]) -> (String, SubAttributes) {
        let kept = p.kept_sub_attributes(&GROUP_RESOURCE, "members");
        let mut group = stored_group();
        group.remove("members");
        let resource = p.view(&GROUP_RESOURCE, &group);
        let rows = ids.iter().map(|id| MemberRow { id, kept: &kept });
        let text = serde_json::to_string(&StreamedResource::new(resource, &kept, rows)).unwrap();
        (text, kept)
    }

    /// What `apply` makes of the same group with its members as JSON values.
    fn applied_group(p: &Projection, ids: &[&str]) -> Value {
        let mut group = stored_group();
        group.insert(
            "members".into(),
            Value::Array(ids.iter().map(|id| member_value(id)).collect()),
        );
        Value::Object(p.apply(&GROUP_RESOURCE, &group))
    }

    fn group_projection(attributes: Option<&str>, excluded: Option<&str>) -> Projection {
        Projection::parse(&GROUP_RESOURCE, attributes, excluded).unwrap()
    }

    #[test]
    fn attributes_members_value_keeps_only_the_value() {
        let p = group_projection(Some("members.value"), None);
        let (text, kept) = streamed_group(&p, &["u1", "u2"]);
        assert_eq!(kept.names(), ["value"]);
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "id": "g1",
                "members": [{"value": "u1"}, {"value": "u2"}],
            })
        );
    }

    #[test]
    fn attributes_members_ref_keeps_only_the_ref() {
        let p = group_projection(Some("members.$ref"), None);
        let (text, kept) = streamed_group(&p, &["u1"]);
        assert_eq!(kept.names(), ["$ref"]);
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap()["members"],
            json!([{"$ref": "https://h/Users/u1"}])
        );
        let without_ref = group_projection(None, Some("members.$ref"));
        assert_eq!(
            without_ref
                .kept_sub_attributes(&GROUP_RESOURCE, "members")
                .names(),
            ["value", "type"]
        );
    }

    #[test]
    fn excluded_members_keep_nothing_and_stream_nothing() {
        let p = group_projection(None, Some("members"));
        let kept = p.kept_sub_attributes(&GROUP_RESOURCE, "members");
        assert!(kept.is_empty());
        // Even rows given anyway are not written: the body is the projected resource.
        let (text, _) = streamed_group(&p, &["u1"]);
        let mut group = stored_group();
        group.remove("members");
        let resource = p.apply(&GROUP_RESOURCE, &group);
        assert_eq!(text, serde_json::to_string(&resource).unwrap());
        assert!(
            group_projection(Some("id"), None)
                .kept_sub_attributes(&GROUP_RESOURCE, "members")
                .is_empty()
        );
    }

    #[test]
    fn an_empty_group_has_no_members_attribute() {
        let (text, kept) = streamed_group(&Projection::default(), &[]);
        assert_eq!(kept.names(), ["value", "$ref", "type"]);
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "id": "g1",
                "displayName": "Biology 101",
                "meta": {"resourceType": "Group"},
            })
        );
    }

    #[test]
    fn member_names_are_case_insensitive_and_may_be_urn_qualified() {
        let kept = group_projection(
            Some("MEMBERS.VALUE,urn:ietf:params:scim:schemas:core:2.0:Group:Members.$REF"),
            None,
        )
        .kept_sub_attributes(&GROUP_RESOURCE, "Members");
        assert_eq!(kept.names(), ["value", "$ref"]);
        assert!(kept.contains("VALUE") && kept.contains("$Ref") && !kept.contains("type"));
        let qualified = Projection::default().kept_sub_attributes(
            &GROUP_RESOURCE,
            "URN:ietf:params:scim:schemas:core:2.0:Group:MEMBERS",
        );
        assert_eq!(qualified.attribute(), "members");
        assert_eq!(qualified.names(), ["value", "$ref", "type"]);
        let all = Projection::default();
        assert!(
            all.kept_sub_attributes(&GROUP_RESOURCE, "nothing")
                .is_empty()
        );
        assert!(
            all.kept_sub_attributes(&GROUP_RESOURCE, "displayName")
                .is_empty()
        );
    }

    #[test]
    fn streaming_writes_what_apply_would_with_members_last() {
        let ids = ["u1", "u2", "u3"];
        for (attributes, excluded) in [
            (None, None),
            (Some("members"), None),
            (Some("members.value"), None),
            (Some("Members.Type,displayName"), None),
            (Some("displayName"), None),
            (None, Some("members")),
            (None, Some("members.type,meta")),
            (Some("members,id"), Some("MEMBERS.VALUE")),
        ] {
            let p = group_projection(attributes, excluded);
            let (text, _) = streamed_group(&p, &ids);
            let expected = applied_group(&p, &ids);
            assert_eq!(
                serde_json::from_str::<Value>(&text).unwrap(),
                expected,
                "{attributes:?} / {excluded:?}"
            );
            if expected.get("members").is_some() {
                assert!(text.ends_with("]}"), "members come last: {text}");
            }
        }
    }

    /// The view writes its text itself: a value comparison would not see a key written twice
    /// or out of order, the text does.
    #[test]
    fn the_view_writes_the_text_of_the_shaped_object() {
        let user = stored_user();
        for (attributes, excluded) in [
            (None, None),
            (Some("userName,emails.value"), None),
            (None, Some("emails.type,name")),
            (
                Some(ENT),
                Some(&format!("{ENT}:manager.displayName") as &str),
            ),
            (Some("password,nickName"), None),
        ] {
            let p = Projection::parse(&USER_RESOURCE, attributes, excluded).unwrap();
            let written = serde_json::to_string(&p.view(&USER_RESOURCE, &user)).unwrap();
            let shaped = serde_json::to_string(&p.apply(&USER_RESOURCE, &user)).unwrap();
            assert_eq!(written, shaped, "{attributes:?} / {excluded:?}");
        }
    }

    #[test]
    fn a_streamed_attribute_replaces_one_of_the_same_name() {
        let p = Projection::default();
        let group = stored_group();
        let resource = p.view(&GROUP_RESOURCE, &group);
        let kept = p.kept_sub_attributes(&GROUP_RESOURCE, "members");
        let rows = ["u9"].iter().map(|id| MemberRow { id, kept: &kept });
        let text = serde_json::to_string(&StreamedResource::new(resource, &kept, rows)).unwrap();
        assert_eq!(text.matches("\"members\"").count(), 1, "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap()["members"],
            json!([member_value("u9")])
        );
    }

    #[test]
    fn too_many_names_is_too_many() {
        let list = vec!["userName"; MAX_NAMES + 1].join(",");
        let err = Projection::parse(&USER_RESOURCE, Some(&list), None).unwrap_err();
        assert_eq!(
            err,
            ScimError::too_many("attributes names 201 attributes; at most 200 are allowed")
        );
    }
}
