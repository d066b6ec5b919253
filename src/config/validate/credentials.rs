//! `[identifiants]`: exactly one credential mode, and everything that holds a secret kept
//! private.

use std::ops::Range;

use super::{Ctx, Origin};
use crate::config::diag::Code;
use crate::config::pem::{certificate_matches_key, load_certificate, load_rsa_key};
use crate::config::schema::Table;
use crate::config::secret::is_private_mode;
use crate::config::{Credentials, CredentialsAt, Secret};

const CREDENTIAL_FIX: &str = "garder un seul mode dans [identifiants] : secret_env, \
                              secret_fichier, secret, ou certificat + cle_privee";

pub(super) fn credentials(
    ctx: &mut Ctx<'_, '_>,
    root: &Table<'_, '_>,
) -> Option<(Credentials, CredentialsAt)> {
    let t = root.section(&mut ctx.sink, "identifiants");
    let modes = modes_written(&t);
    let first = exactly_one(ctx, &t, &modes)?;
    let single = modes.len() == 1;
    let (line, column) = ctx.sink.source.locate(first.1.start);
    let at = CredentialsAt {
        key: t.key(first.0),
        line,
        column,
    };

    // Check every mode written, so all problems show at once.
    let mut found = None;
    if let Some(c) = secret_env(ctx, &t) {
        found = Some(c);
    }
    if let Some(s) = t.string(&mut ctx.sink, "secret_fichier")
        && let Some(path) = ctx.existing_file(&s, "fichier de secret")
    {
        ctx.private_file(&s, &path, "fichier de secret");
        found = Some(Credentials::SecretFile(path));
    }
    if let Some(c) = secret_inline(ctx, &t) {
        found = Some(c);
    }
    if modes.iter().any(|(name, _)| *name == "certificat") {
        found = certificate(ctx, &t).or(found);
    }
    if single { found.map(|c| (c, at)) } else { None }
}

/// Which modes are written, in file order (certificat and cle_privee make one mode, at the
/// first of the two).
fn modes_written(t: &Table<'_, '_>) -> Vec<(&'static str, Range<usize>)> {
    let mut modes: Vec<(&str, Range<usize>)> = Vec::new();
    for name in ["secret_env", "secret_fichier", "secret"] {
        if let Some(span) = t.key_span(name) {
            modes.push((name, span));
        }
    }
    let cert_span = match (t.key_span("certificat"), t.key_span("cle_privee")) {
        (Some(a), Some(b)) => Some(if a.start <= b.start { a } else { b }),
        (a, b) => a.or(b),
    };
    if let Some(span) = cert_span {
        modes.push(("certificat", span));
    }
    modes.sort_by_key(|(_, span)| span.start);
    modes
}

/// The first mode written; an error when there is none, or when there are several (the first
/// is still returned, so each mode's own problems are reported too).
fn exactly_one(
    ctx: &mut Ctx<'_, '_>,
    t: &Table<'_, '_>,
    modes: &[(&'static str, Range<usize>)],
) -> Option<(&'static str, Range<usize>)> {
    match modes {
        [] => {
            ctx.sink.error(
                Code::CredentialMode,
                t.at(),
                "identifiants",
                "aucun mode d'identification dans [identifiants]",
                "indiquer un mode : secret_env = \"VIGIE365_CLIENT_SECRET\" (recommandé), \
                 secret_fichier, secret, ou certificat + cle_privee",
            );
            return None;
        }
        [_] => {}
        [_, rest @ ..] => {
            let listed: Vec<String> = modes
                .iter()
                .map(|(name, span)| {
                    format!(
                        "« {name} » (ligne {})",
                        ctx.sink.source.locate(span.start).0
                    )
                })
                .collect();
            let (second, span) = &rest[0];
            ctx.sink.error(
                Code::CredentialMode,
                Some(span.clone()),
                &t.key(second),
                format!(
                    "plusieurs modes d'identification : {} ; un seul est permis",
                    listed.join(", ")
                ),
                CREDENTIAL_FIX,
            );
        }
    }
    modes.first().cloned()
}

/// `secret_env`: the NAME of an environment variable, never the secret itself.
fn secret_env(ctx: &mut Ctx<'_, '_>, t: &Table<'_, '_>) -> Option<Credentials> {
    let s = t.string(&mut ctx.sink, "secret_env")?;
    let name = s.value.trim();
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        return Some(Credentials::SecretEnv(name.to_string()));
    }
    ctx.sink.error(
        Code::InvalidValue,
        s.at(),
        &s.key,
        "« identifiants.secret_env » doit être le NOM d'une variable d'environnement \
         (lettres, chiffres, _), pas le secret lui-même",
        "écrire secret_env = \"VIGIE365_CLIENT_SECRET\" et mettre le secret dans cette \
         variable ; si le secret a été écrit ici, le renouveler dans Entra ID",
    );
    None
}

/// `secret`: written in the configuration, refused unless the file is private.
fn secret_inline(ctx: &mut Ctx<'_, '_>, t: &Table<'_, '_>) -> Option<Credentials> {
    let s = t.string(&mut ctx.sink, "secret")?;
    if s.value.trim().is_empty() {
        ctx.sink.error(
            Code::InvalidValue,
            s.at(),
            &s.key,
            "« identifiants.secret » est vide",
            "préférer secret_env = \"VIGIE365_CLIENT_SECRET\"",
        );
        return None;
    }
    if let Origin::File { mode: Some(mode) } = ctx.origin
        && !is_private_mode(mode)
    {
        let file = ctx.sink.source.file.display().to_string();
        ctx.sink.error(
            Code::SecretPermissions,
            s.at(),
            &s.key,
            format!(
                "secret client écrit dans la configuration, mais le fichier est lisible \
                 par d'autres comptes (mode {mode:04o})"
            ),
            format!(
                "chmod 600 {file} — ou mieux : secret_env ou secret_fichier, puis \
                 renouveler le secret dans Entra ID"
            ),
        );
    }
    Some(Credentials::SecretInline(Secret::new(s.value)))
}

fn certificate(ctx: &mut Ctx<'_, '_>, t: &Table<'_, '_>) -> Option<Credentials> {
    let cert = t.string(&mut ctx.sink, "certificat");
    let key = t.string(&mut ctx.sink, "cle_privee");
    for (present, absent) in [("certificat", "cle_privee"), ("cle_privee", "certificat")] {
        if t.has(present) && !t.has(absent) {
            ctx.sink.error(
                Code::CredentialMode,
                t.key_span(present),
                &t.key(absent),
                format!("« {present} » sans « {absent} » : il faut le certificat et sa clé privée"),
                format!("ajouter {absent} = \"/etc/vigie365/…pem\""),
            );
        }
    }
    let cert = cert.and_then(|s| {
        let path = ctx.existing_file(&s, "certificat")?;
        match load_certificate(&path) {
            Ok(der) => Some((s, path, der)),
            Err(p) => {
                ctx.sink
                    .error(p.code, s.at(), &s.key, p.message_fr, p.fix_fr);
                None
            }
        }
    });
    let key = key.and_then(|s| {
        let path = ctx.existing_file(&s, "clé privée")?;
        ctx.private_file(&s, &path, "clé privée");
        match load_rsa_key(&path) {
            Ok((der, public)) => Some((s, path, der, public)),
            Err(p) => {
                ctx.sink
                    .error(p.code, s.at(), &s.key, p.message_fr, p.fix_fr);
                None
            }
        }
    });
    let ((cert_sp, cert_path, cert_der), (_, key_path, key_der, public)) = (cert?, key?);
    if !certificate_matches_key(&cert_der, &public) {
        ctx.sink.error(
            Code::CertificateKeyMismatch,
            cert_sp.at(),
            &cert_sp.key,
            format!(
                "le certificat « {} » ne correspond pas à la clé privée « {} »",
                cert_path.display(),
                key_path.display()
            ),
            "indiquer la clé avec laquelle ce certificat a été créé (celui téléversé dans Entra \
             ID > Certificats et secrets)",
        );
        return None;
    }
    Some(Credentials::Certificate {
        cert_der,
        key_der,
        cert_path,
        key_path,
    })
}
