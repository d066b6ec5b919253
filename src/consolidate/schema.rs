//! A focused JSON Schema (draft 2020-12) validator for the bilan schema shipped in
//! `reports/bilan.schema.json`. It knows the keywords that file uses — `type`, `const`,
//! `enum`, `required`, `properties`, `additionalProperties`, `propertyNames`, `items`,
//! `pattern`, `minLength`, `minimum`, `anyOf` and local `$ref` to `#/$defs/…` — and refuses a
//! schema that uses another one, so the file cannot silently say more than is checked.
//! Written here rather than taken from a crate: the consolidation reads bilans at run time,
//! and a general validator would bring a large dependency tree (remote references, formats)
//! for the dozen keywords this document needs.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

/// The bilan schema, embedded in the binary.
pub const BILAN_SCHEMA: &str = include_str!("../../reports/bilan.schema.json");

/// Keywords this validator checks, and annotations it may ignore.
const KNOWN: &[&str] = &[
    "type",
    "const",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "items",
    "pattern",
    "minLength",
    "minimum",
    "anyOf",
    "$ref",
    "$schema",
    "$id",
    "$defs",
    "title",
    "description",
];

/// A compiled schema: the document and its patterns.
pub struct Schema {
    root: Value,
    patterns: HashMap<String, Regex>,
}

/// One violation: where (a JSON pointer) and what, in French.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path} : {}", self.message)
    }
}

impl Schema {
    /// The shipped bilan schema.
    pub fn bilan() -> Result<Schema, String> {
        Schema::parse(BILAN_SCHEMA)
    }

    pub fn parse(text: &str) -> Result<Schema, String> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| format!("schéma illisible : {e}"))?;
        let mut patterns = HashMap::new();
        compile(&root, "", &mut patterns)?;
        Ok(Schema { root, patterns })
    }

    /// Every violation of `doc`, at most `limit` of them.
    pub fn validate(&self, doc: &Value, limit: usize) -> Vec<Violation> {
        let mut out = Vec::new();
        self.check(&self.root, doc, &mut String::new(), &mut out, limit, 0);
        out
    }

    fn resolve<'a>(&'a self, r: &str) -> Option<&'a Value> {
        let name = r.strip_prefix("#/$defs/")?;
        self.root.get("$defs")?.get(name)
    }

    fn check(
        &self,
        schema: &Value,
        doc: &Value,
        path: &mut String,
        out: &mut Vec<Violation>,
        limit: usize,
        depth: usize,
    ) {
        if out.len() >= limit {
            return;
        }
        let Some(s) = schema.as_object() else {
            return;
        };
        let mut fail = |path: &str, message: String| {
            out.push(Violation {
                path: path.to_string(),
                message,
            })
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match self.resolve(r) {
                Some(target) if depth < 64 => {
                    self.check(target, doc, path, out, limit, depth + 1);
                }
                _ => fail(path, format!("référence de schéma introuvable : {r}")),
            }
            if out.len() >= limit {
                return;
            }
        }
        let mut fail = |path: &str, message: String| {
            out.push(Violation {
                path: path.to_string(),
                message,
            })
        };
        if let Some(t) = s.get("type") {
            let ok = match t {
                Value::String(t) => has_type(doc, t),
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|t| has_type(doc, t)),
                _ => true,
            };
            if !ok {
                fail(
                    path,
                    format!("type attendu {}, trouvé {}", type_fr(t), kind_fr(doc)),
                );
                return;
            }
        }
        if let Some(c) = s.get("const")
            && c != doc
        {
            fail(path, format!("valeur attendue {c}, trouvée {}", short(doc)));
        }
        if let Some(Value::Array(values)) = s.get("enum")
            && !values.contains(doc)
        {
            let list: Vec<String> = values.iter().map(Value::to_string).collect();
            fail(
                path,
                format!(
                    "valeur {} hors de la liste ({})",
                    short(doc),
                    list.join(", ")
                ),
            );
        }
        if let Value::String(text) = doc {
            if let Some(p) = s.get("pattern").and_then(Value::as_str)
                && let Some(re) = self.patterns.get(p)
                && !re.is_match(text)
            {
                fail(
                    path,
                    format!("« {} » ne suit pas le motif {p}", short_str(text)),
                );
            }
            if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                && (text.chars().count() as u64) < min
            {
                fail(path, format!("texte de moins de {min} caractère(s)"));
            }
        }
        if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), doc.as_f64())
            && n < min
        {
            fail(path, format!("{n} est inférieur au minimum {min}"));
        }
        if let Some(Value::Array(options)) = s.get("anyOf") {
            let matched = options
                .iter()
                .any(|o| self.validate_sub(o, doc, depth).is_empty());
            if !matched {
                fail(
                    path,
                    format!("aucune forme permise ne convient à {}", short(doc)),
                );
            }
        }
        if let Value::Object(map) = doc {
            if let Some(Value::Array(required)) = s.get("required") {
                for r in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(r) {
                        fail(path, format!("champ obligatoire « {r} » absent"));
                    }
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, v) in map {
                if out.len() >= limit {
                    return;
                }
                let len = path.len();
                path.push('/');
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                if let Some(names) = s.get("propertyNames") {
                    let errors = self.validate_sub(names, &Value::String(k.clone()), depth);
                    if !errors.is_empty() {
                        out.push(Violation {
                            path: path.clone(),
                            message: format!("clé « {} » non permise", short_str(k)),
                        });
                    }
                }
                match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                    (Some(sub), _) => self.check(sub, v, path, out, limit, depth + 1),
                    (None, Some(Value::Bool(false))) => out.push(Violation {
                        path: path.clone(),
                        message: "champ non permis ici".into(),
                    }),
                    (None, Some(sub @ Value::Object(_))) => {
                        self.check(sub, v, path, out, limit, depth + 1)
                    }
                    _ => {}
                }
                path.truncate(len);
            }
        }
        if let (Value::Array(items), Some(sub)) = (doc, s.get("items")) {
            for (i, v) in items.iter().enumerate() {
                if out.len() >= limit {
                    return;
                }
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                self.check(sub, v, path, out, limit, depth + 1);
                path.truncate(len);
            }
        }
    }

    fn validate_sub(&self, schema: &Value, doc: &Value, depth: usize) -> Vec<Violation> {
        let mut out = Vec::new();
        self.check(schema, doc, &mut String::new(), &mut out, 1, depth + 1);
        out
    }
}

/// Compiles every `pattern` and refuses keywords this validator does not check.
fn compile(v: &Value, at: &str, patterns: &mut HashMap<String, Regex>) -> Result<(), String> {
    let Some(s) = v.as_object() else {
        return Ok(());
    };
    for (k, sub) in s {
        if !KNOWN.contains(&k.as_str()) {
            return Err(format!(
                "mot-clé de schéma non pris en charge « {k} » ({at})"
            ));
        }
        let here = format!("{at}/{k}");
        match k.as_str() {
            "pattern" => {
                let p = sub.as_str().ok_or(format!("motif non textuel ({here})"))?;
                let re = Regex::new(p).map_err(|e| format!("motif invalide {p} : {e}"))?;
                patterns.insert(p.to_string(), re);
            }
            "properties" | "$defs" => {
                for (name, s) in sub.as_object().into_iter().flatten() {
                    compile(s, &format!("{here}/{name}"), patterns)?;
                }
            }
            "anyOf" => {
                for (i, s) in sub.as_array().into_iter().flatten().enumerate() {
                    compile(s, &format!("{here}/{i}"), patterns)?;
                }
            }
            "items" | "additionalProperties" | "propertyNames" => compile(sub, &here, patterns)?,
            _ => {}
        }
    }
    Ok(())
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

fn type_fr(t: &Value) -> String {
    match t {
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(name_fr)
            .collect::<Vec<_>>()
            .join(" ou "),
        Value::String(t) => name_fr(t).to_string(),
        _ => t.to_string(),
    }
}

fn name_fr(t: &str) -> &str {
    match t {
        "null" => "null",
        "boolean" => "booléen",
        "object" => "objet",
        "array" => "liste",
        "string" => "texte",
        "number" => "nombre",
        "integer" => "entier",
        other => other,
    }
}

fn kind_fr(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "booléen",
        Value::Object(_) => "objet",
        Value::Array(_) => "liste",
        Value::String(_) => "texte",
        Value::Number(n) if n.is_f64() => "nombre",
        Value::Number(_) => "entier",
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => format!("« {} »", short_str(s)),
        Value::Object(_) => "un objet".into(),
        Value::Array(_) => "une liste".into(),
        other => other.to_string(),
    }
}

fn short_str(s: &str) -> String {
    let mut t: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        t.push('…');
    }
    crate::escape::terminal(&t).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_schema_compiles() {
        assert!(Schema::bilan().is_ok());
    }

    #[test]
    fn an_unknown_keyword_is_refused() {
        let e = Schema::parse(r#"{"type":"object","oneOf":[]}"#).err();
        assert!(e.is_some_and(|e| e.contains("oneOf")));
    }

    #[test]
    fn violations_name_the_path() {
        let s = Schema::parse(
            r##"{"type":"object","required":["a"],"properties":{"b":{"type":"array","items":{"$ref":"#/$defs/n"}}},"$defs":{"n":{"type":"integer","minimum":0}}}"##,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let v = s.validate(&serde_json::json!({"b":[1,-2,"x"]}), 10);
        let text: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "/ : champ obligatoire « a » absent",
                "/b/1 : -2 est inférieur au minimum 0",
                "/b/2 : type attendu entier, trouvé texte"
            ]
        );
    }
}
