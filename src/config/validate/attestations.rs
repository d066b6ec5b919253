//! `[[attestations]]`: what the establishment attests for a requirement the tool can see
//! only in part, or not at all (« hors de portée de l'outil »). The bilan prints it in the
//! accountability table; without one it says « attestation à fournir ».

use super::Ctx;
use crate::config::Attestation;
use crate::config::diag::{Code, suggest};
use crate::config::schema::{ATTESTATION, Table};
use crate::requirements;

pub(super) fn attestations(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Vec<Attestation> {
    let mut out: Vec<Attestation> = Vec::new();
    let Some(entries) = root.tables(&mut ctx.sink, "attestations", ATTESTATION) else {
        return out;
    };
    let known = requirements::ids();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for e in entries {
        let requirement = ctx
            .required_string(&e, "exigence", "exigence = \"DIR04-9-4\"")
            .and_then(|s| {
                if known.contains(&s.value.as_str()) {
                    return Some(s);
                }
                let hint = suggest(&s.value, &known)
                    .map(|h| format!(" — vouliez-vous dire « {h} » ?"))
                    .unwrap_or_default();
                ctx.sink.error(
                    Code::InvalidValue,
                    s.at(),
                    &s.key,
                    format!("exigence inconnue « {} »{hint}", s.value),
                    format!(
                        "écrire l'identifiant d'une exigence du bilan : {}",
                        known.join(", ")
                    ),
                );
                None
            });
        let text = ctx.required_string(
            &e,
            "texte",
            "texte = ce que l'établissement atteste (il figure dans le bilan)",
        );
        let owner = ctx.required_string(
            &e,
            "responsable",
            "responsable = la fonction qui atteste (par ex. \"Responsable de la sécurité de l'information\")",
        );
        let date = if e.has("date") {
            e.date(&mut ctx.sink, "date")
        } else {
            ctx.missing(&e, "date", "date = 2026-03-31 (date de l'attestation)");
            None
        };
        if let Some(r) = &requirement {
            let line = ctx.sink.source.locate(r.span.start).0;
            if let Some((_, first)) = seen.iter().find(|(id, _)| *id == r.value) {
                ctx.sink.error(
                    Code::Duplicate,
                    e.at(),
                    e.path(),
                    format!(
                        "attestation en double : {} est déjà attestée (ligne {first})",
                        r.value
                    ),
                    "garder une seule attestation par exigence",
                );
            } else {
                seen.push((r.value.clone(), line));
            }
        }
        for s in [&text, &owner].into_iter().flatten() {
            if s.value.trim().is_empty() {
                ctx.sink.error(
                    Code::InvalidValue,
                    s.at(),
                    &s.key,
                    format!("« {} » est vide", s.key),
                    "écrire le texte de l'attestation et la fonction de son responsable",
                );
            }
        }
        if let (Some(r), Some(t), Some(o), Some(d)) = (requirement, text, owner, date)
            && !t.value.trim().is_empty()
            && !o.value.trim().is_empty()
        {
            out.push(Attestation {
                requirement: r.value,
                text: t.value,
                owner: o.value,
                date: d.value,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, LoadOptions};

    const HEAD: &str = r#"[locataire]
tenant_id = "6f1c2a7e-8d4b-4e3a-9c1f-2b5d7e9a0c11"
domaine = "cisss-exemple.onmicrosoft.com"
client_id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
etablissement = "CISSS de l'Exemple"

[identifiants]
secret_env = "VIGIE365_CLIENT_SECRET"
"#;

    fn load(extra: &str) -> Result<Config, String> {
        Config::from_toml_str(
            &format!("{HEAD}\n{extra}"),
            "vigie365.toml",
            &LoadOptions { known_checks: &[] },
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn an_attestation_names_a_known_requirement_with_its_text_function_and_date() {
        let c = load(
            "[[attestations]]\nexigence = \"DIR04-9-4\"\ntexte = \"Filtrage web en place.\"\n\
             responsable = \"Responsable de la sécurité de l'information\"\ndate = 2026-03-31\n",
        )
        .expect("valid");
        assert_eq!(c.attestations.len(), 1);
        assert_eq!(c.attestations[0].requirement, "DIR04-9-4");
        assert_eq!(c.attestations[0].date.to_string(), "2026-03-31");
    }

    #[test]
    fn unknown_duplicate_or_incomplete_attestations_are_refused_in_french() {
        let e = load(
            "[[attestations]]\nexigence = \"DIR04-9-5\"\ntexte = \"x\"\nresponsable = \"RSI\"\n\
             date = 2026-03-31\n",
        )
        .expect_err("unknown");
        assert!(e.contains("exigence inconnue « DIR04-9-5 »"), "{e}");
        assert!(e.contains("vouliez-vous dire"), "{e}");
        let twice = "[[attestations]]\nexigence = \"DIR04-8\"\ntexte = \"x\"\nresponsable = \"RSI\"\ndate = 2026-03-31\n";
        let e = load(&format!("{twice}\n{twice}")).expect_err("duplicate");
        assert!(e.contains("attestation en double : DIR04-8"), "{e}");
        let e = load(
            "[[attestations]]\nexigence = \"DIR04-8\"\ntexte = \"  \"\nresponsable = \"RSI\"\n",
        )
        .expect_err("incomplete");
        assert!(e.contains("date"), "{e}");
        assert!(e.contains("est vide"), "{e}");
    }
}
