//! What changed between two versions of an importer's settings, field by field, for the audit
//! log: destinations named by their id, URLs and endpoints masked (their paths and queries may
//! hold a token), and secrets never shown, only said to be created, set, rotated or removed.

use super::secrets::SecretChange;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The fields whose values are URLs, recorded without path or query.
const URL_FIELDS: &[&str] = &["url", "endpoint"];

/// The changes from `before` to `after` (either absent: created or deleted), then the secrets'.
pub(super) fn changes(before: Option<&Value>, after: Option<&Value>, secrets: &[SecretChange]) -> Vec<Value> {
    let (mut old, mut new) = (BTreeMap::new(), BTreeMap::new());
    if let Some(before) = before {
        flatten("", before, &mut old);
    }
    if let Some(after) = after {
        flatten("", after, &mut new);
    }
    let fields: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut changes: Vec<Value> = fields
        .into_iter()
        .filter(|field| old.get(*field) != new.get(*field))
        .map(|field| {
            let mut change = Map::new();
            change.insert("field".into(), json!(field));
            change.insert("from".into(), old.get(field).cloned().unwrap_or(Value::Null));
            change.insert("to".into(), new.get(field).cloned().unwrap_or(Value::Null));
            Value::Object(change)
        })
        .collect();
    changes.extend(secrets.iter().map(
        |s| json!({ "field": format!("destinations[{}].{}", s.destination, s.field), "change": s.change }),
    ));
    changes
}

/// Every leaf of `value` under its path: tables by key, destinations by id, other arrays of
/// tables by index, arrays of plain values whole.
fn flatten(path: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, value) in
                map.iter().filter(|(key, _)| !(path.starts_with("destinations[") && *key == "id"))
            {
                flatten(&join(path, key), value, out);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for (index, item) in items.iter().enumerate() {
                let id = item.get("id").and_then(Value::as_str).filter(|_| path == "destinations");
                let name = id.map_or_else(|| index.to_string(), str::to_owned);
                flatten(&format!("{path}[{name}]"), item, out);
            }
        }
        leaf => {
            let masked = match (leaf.as_str(), path.rsplit('.').next()) {
                (Some(url), Some(field)) if URL_FIELDS.contains(&field) => json!(masked_url(url)),
                _ => leaf.clone(),
            };
            out.insert(path.to_owned(), masked);
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// A URL without what may be a secret: its user, path (many services put a token there) and
/// query become `…`; the scheme and host stay.
pub fn masked_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return "…".to_owned() };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    match rest.len() > authority.len() && rest != format!("{authority}/") {
        true => format!("{scheme}://{host}/…"),
        false => format!("{scheme}://{host}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_fields_and_destinations_by_id_and_mask_urls() {
        let before = json!({ "key": "k", "limits": { "max_rows": 10 }, "allowed_origins": ["https://a.example"],
            "destinations": [{ "id": "dst_000000000001", "type": "webhook", "url": "https://h.example/hook?token=s3cr3t" }] });
        let after = json!({ "key": "k", "limits": { "max_rows": 20 }, "allowed_origins": ["https://b.example"],
            "destinations": [{ "id": "dst_000000000001", "type": "webhook", "url": "https://i.example/hook?token=other" }] });
        let rotated =
            [SecretChange { destination: "dst_000000000001".into(), field: "secret", change: "rotated" }];
        let changes = changes(Some(&before), Some(&after), &rotated);
        assert_eq!(
            changes,
            [
                json!({ "field": "allowed_origins", "from": ["https://a.example"], "to": ["https://b.example"] }),
                json!({ "field": "destinations[dst_000000000001].url", "from": "https://h.example/…", "to": "https://i.example/…" }),
                json!({ "field": "limits.max_rows", "from": 10, "to": 20 }),
                json!({ "field": "destinations[dst_000000000001].secret", "change": "rotated" }),
            ]
        );
        assert!(!serde_json::to_string(&changes).unwrap().contains("s3cr3t"));
    }

    #[test]
    fn a_created_importer_lists_every_field_from_nothing() {
        let after = json!({ "key": "k", "schema": { "columns": [{ "key": "email", "type": "email" }] } });
        let changes = changes(None, Some(&after), &[]);
        let fields: Vec<&str> = changes.iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["key", "schema.columns[0].key", "schema.columns[0].type"]);
        assert!(changes.iter().all(|c| c["from"].is_null()));
    }

    #[test]
    fn masked_urls_keep_scheme_and_host_only() {
        assert_eq!(
            masked_url("postgres://sluice@db.example.com:5432/crm"),
            "postgres://db.example.com:5432/…"
        );
        assert_eq!(masked_url("https://h.example/"), "https://h.example/");
        assert_eq!(masked_url("https://h.example"), "https://h.example/");
        assert_eq!(masked_url("nonsense"), "…");
        assert_eq!(masked_url("https://hooks.slack.com/services/T0/B0/s3cr3t"), "https://hooks.slack.com/…");
        assert_eq!(masked_url("https://app.example.com/hooks?token=s3cr3t"), "https://app.example.com/…");
        assert_eq!(masked_url("http://127.0.0.1:8090/"), "http://127.0.0.1:8090/");
    }
}
