//! Reading a PatchOp body (RFC 7644 §3.5.2) into a [`PatchRequest`]. Only the envelope is checked
//! here; paths are parsed, values are checked against the schema when applied.

use serde_json::{Map, Value};

use super::{PATCH_OP_URN, PatchOp, PatchOperation, PatchRequest};
use crate::error::ScimError;
use crate::keys;
use crate::path::parse_path;

/// More operations than any client sends in one request; bounds the work one body can ask for.
pub const MAX_OPERATIONS: usize = 1000;

/// Parses a PATCH body.
///
/// - `schemas`, when present, must list the PatchOp URN (any case). A body without `schemas` is
///   accepted: the endpoint already says it is a PATCH, and refusing would only break a sync.
/// - `Operations`, `op`, `path` and `value` keys are read ignoring case, and so is the op itself.
/// - `"path": null` or `""` means no path.
///
/// Errors: 400 `invalidSyntax` for a malformed envelope or an unknown op, `invalidPath` for a path
/// that does not parse.
pub fn parse_patch(body: &Value) -> Result<PatchRequest, ScimError> {
    let Some(body) = body.as_object() else {
        return Err(ScimError::invalid_syntax(
            "a PATCH body must be a JSON object with \"schemas\" and \"Operations\"",
        ));
    };
    check_schemas(body)?;
    let operations = match keys::get(body, "Operations") {
        Some(Value::Array(ops)) => ops,
        Some(_) => {
            return Err(ScimError::invalid_syntax(
                "\"Operations\" must be an array of operations",
            ));
        }
        None => {
            return Err(ScimError::invalid_syntax(
                "a PATCH body needs an \"Operations\" array",
            ));
        }
    };
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::too_many(format!(
            "a PATCH request may carry at most {MAX_OPERATIONS} operations, this one has {}",
            operations.len()
        )));
    }
    let operations = operations
        .iter()
        .enumerate()
        .map(|(i, op)| parse_operation(op).map_err(|e| at_operation(i, e)))
        .collect::<Result<_, _>>()?;
    Ok(PatchRequest { operations })
}

/// Prefixes an error detail with the operation it comes from, so an administrator reading
/// Entra's provisioning log knows which one to look at.
pub(crate) fn at_operation(index: usize, mut err: ScimError) -> ScimError {
    err.detail = format!("Operations[{index}]: {}", err.detail);
    err
}

fn check_schemas(body: &Map<String, Value>) -> Result<(), ScimError> {
    let Some(schemas) = keys::get(body, "schemas") else {
        return Ok(());
    };
    let listed = match schemas {
        Value::Array(items) => items.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_URN))
        }),
        Value::String(s) => s.eq_ignore_ascii_case(PATCH_OP_URN),
        _ => false,
    };
    if listed {
        Ok(())
    } else {
        Err(ScimError::invalid_syntax(format!(
            "\"schemas\" of a PATCH request must be [\"{PATCH_OP_URN}\"]"
        )))
    }
}

fn parse_operation(op: &Value) -> Result<PatchOperation, ScimError> {
    let Some(op) = op.as_object() else {
        return Err(ScimError::invalid_syntax(
            "an operation must be an object with \"op\", and \"path\" and/or \"value\"",
        ));
    };
    let kind = match keys::get(op, "op") {
        Some(Value::String(s)) => parse_op(s)?,
        Some(other) => {
            return Err(ScimError::invalid_syntax(format!(
                "\"op\" must be \"add\", \"replace\" or \"remove\", found {other}"
            )));
        }
        None => {
            return Err(ScimError::invalid_syntax(
                "an operation needs \"op\": \"add\", \"replace\" or \"remove\"",
            ));
        }
    };
    let path = match keys::get(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(parse_path(s.trim())?),
        Some(other) => {
            return Err(ScimError::invalid_path(format!(
                "\"path\" must be a string, found {other}"
            )));
        }
    };
    let value = keys::get(op, "value").cloned();
    // A request's strings never hold U+0000 (`crate::text`), whatever the operation does with them.
    if let Some(value) = &value {
        let prefix = keys::get(op, "path")
            .and_then(Value::as_str)
            .map_or("value", str::trim);
        if let Some(at) = crate::text::nul_at(value, prefix) {
            return Err(crate::text::nul_error(&at));
        }
    }
    Ok(PatchOperation {
        op: kind,
        path,
        value,
    })
}

fn parse_op(s: &str) -> Result<PatchOp, ScimError> {
    [PatchOp::Add, PatchOp::Remove, PatchOp::Replace]
        .into_iter()
        .find(|op| op.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            ScimError::invalid_syntax(format!(
                "unknown op \"{s}\": use \"add\", \"replace\" or \"remove\""
            ))
        })
}
