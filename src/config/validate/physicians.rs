//! `[classification].medecin_attribut`: physicians, residents and externs (DIR04) recognised
//! by a directory attribute whose value matches a pattern (`{ nom = "extensionAttribute5",
//! motif = "(?i)^(médecin|résident|externe)" }`). The other ways (UPN, mail and proxy
//! addresses, groups) are plain lists read with the rest of the section.

use super::Ctx;
use super::sections::attribute_name;
use crate::config::AttributePattern;
use crate::config::schema::{ATTRIBUTE_PATTERN, Table};

pub(super) fn attribute_pattern(
    ctx: &mut Ctx<'_, '_>,
    t: &Table<'_, '_>,
    name: &str,
) -> Option<AttributePattern> {
    let a = t.table(&mut ctx.sink, name, ATTRIBUTE_PATTERN)?;
    let attribute = attribute_name(ctx, &a, false);
    let pattern = ctx
        .required_string(
            &a,
            "motif",
            "motif = \"(?i)^(médecin|résident|externe)\" (expression régulière sur la valeur)",
        )
        .and_then(|s| ctx.regex(&s));
    Some(AttributePattern {
        attribute: attribute?,
        pattern: pattern?,
    })
}
