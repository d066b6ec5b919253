//! Reading one value with its meaning: integers in range, paths, regexes, GUIDs, UPNs,
//! CIDRs, domains, endpoints. Each reports its own problem and returns `None` on it.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use regex::Regex;
use url::{Host, Url};

use super::Ctx;
use crate::config::diag::Code;
use crate::config::schema::{Sp, Table};
use crate::config::secret::{file_mode, is_private_mode};
use crate::config::{DomainPattern, Guid, io_error_fr, normalise_domain, pattern};

impl Ctx<'_, '_> {
    /// A required key is absent (its section is present).
    pub(super) fn missing(&mut self, t: &Table<'_, '_>, name: &str, fix: &str) {
        let key = t.key(name);
        self.sink.error(
            Code::Missing,
            t.at(),
            &key,
            format!("clé obligatoire « {key} » absente"),
            fix,
        );
    }

    /// A required string (non-empty once trimmed).
    pub(super) fn required_string(
        &mut self,
        t: &Table<'_, '_>,
        name: &str,
        fix: &str,
    ) -> Option<Sp<String>> {
        if !t.has(name) {
            self.missing(t, name, fix);
            return None;
        }
        let s = t.string(&mut self.sink, name)?;
        self.non_empty(s, fix)
    }

    pub(super) fn non_empty(&mut self, s: Sp<String>, fix: &str) -> Option<Sp<String>> {
        if s.value.trim().is_empty() {
            self.sink.error(
                Code::InvalidValue,
                s.at(),
                &s.key,
                format!("« {} » est vide", s.key),
                fix,
            );
            return None;
        }
        Some(Sp {
            value: s.value.trim().to_string(),
            ..s
        })
    }

    /// An integer within bounds.
    pub(super) fn int(
        &mut self,
        t: &Table<'_, '_>,
        name: &str,
        min: u32,
        max: u32,
    ) -> Option<Sp<u32>> {
        let n = t.integer(&mut self.sink, name)?;
        match u32::try_from(n.value) {
            Ok(v) if (min..=max).contains(&v) => Some(Sp {
                value: v,
                span: n.span,
                key: n.key,
            }),
            _ => {
                let (message, fix) = if max == u32::MAX {
                    (
                        format!(
                            "« {} » doit être un nombre entier positif (trouvé : {})",
                            n.key, n.value
                        ),
                        format!("écrire un nombre entier supérieur ou égal à {min}"),
                    )
                } else {
                    (
                        format!(
                            "« {} » doit être entre {min} et {max} (trouvé : {})",
                            n.key, n.value
                        ),
                        format!("écrire un nombre entier de {min} à {max}"),
                    )
                };
                self.sink
                    .error(Code::InvalidValue, n.at(), &n.key, message, fix);
                None
            }
        }
    }

    pub(super) fn positive(
        &mut self,
        t: &Table<'_, '_>,
        name: &str,
        default: NonZeroU32,
    ) -> NonZeroU32 {
        self.int(t, name, 1, u32::MAX)
            .and_then(|n| NonZeroU32::new(n.value))
            .unwrap_or(default)
    }

    /// A path as written, made absolute against the configuration's directory (noted).
    pub(super) fn path(&mut self, s: &Sp<String>) -> Option<PathBuf> {
        let raw = s.value.trim();
        if raw.is_empty() {
            self.sink.error(
                Code::InvalidPath,
                s.at(),
                &s.key,
                format!("chemin vide pour « {} »", s.key),
                "écrire un chemin absolu, ou retirer la clé",
            );
            return None;
        }
        if raw.starts_with('~') {
            self.sink.error(
                Code::InvalidPath,
                s.at(),
                &s.key,
                format!(
                    "« ~ » n'est pas développé dans « {} » : vigie365 ne passe pas par un shell",
                    s.key
                ),
                "écrire le chemin absolu, par exemple /home/compte/…",
            );
            return None;
        }
        let path = Path::new(raw);
        if path.is_absolute() {
            return Some(path.to_path_buf());
        }
        let resolved = self.base_dir.join(path);
        self.sink.note(
            Code::RelativePath,
            s.at(),
            &s.key,
            format!(
                "chemin relatif « {raw} » résolu par rapport au répertoire du fichier de \
                 configuration : {}",
                resolved.display()
            ),
            "",
        );
        Some(resolved)
    }

    /// A path that must name an existing regular file.
    pub(super) fn existing_file(&mut self, s: &Sp<String>, what: &str) -> Option<PathBuf> {
        let path = self.path(s)?;
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Some(path),
            Ok(_) => {
                self.sink.error(
                    Code::FileNotFound,
                    s.at(),
                    &s.key,
                    format!("{what} « {} » n'est pas un fichier", path.display()),
                    format!("indiquer le chemin du fichier dans « {} »", s.key),
                );
                None
            }
            Err(e) => {
                self.sink.error(
                    Code::FileNotFound,
                    s.at(),
                    &s.key,
                    format!("{what} « {} » : {}", path.display(), io_error_fr(&e)),
                    format!("corriger le chemin de « {} »", s.key),
                );
                None
            }
        }
    }

    /// A file holding a secret must be readable by its owner only.
    pub(super) fn private_file(&mut self, s: &Sp<String>, path: &Path, what: &str) {
        let mode = std::fs::metadata(path).ok().and_then(|m| file_mode(&m));
        if let Some(mode) = mode
            && !is_private_mode(mode)
        {
            self.sink.error(
                Code::SecretPermissions,
                s.at(),
                &s.key,
                format!(
                    "{what} « {} » lisible par d'autres comptes (mode {mode:04o}, 0600 ou 0400 \
                     exigé)",
                    path.display()
                ),
                format!("chmod 600 {}", path.display()),
            );
        }
    }

    pub(super) fn regex(&mut self, s: &Sp<String>) -> Option<Regex> {
        match pattern::compile(&s.value) {
            Ok(r) => Some(r),
            Err(e) => {
                // Point at the offending character when the pattern is written verbatim
                // ('…' or "…" without escapes), else at the string.
                let raw = self
                    .sink
                    .source
                    .text
                    .get(s.span.clone())
                    .unwrap_or_default();
                let verbatim = raw.len() == s.value.len() + 2
                    && (raw == format!("'{}'", s.value) || raw == format!("\"{}\"", s.value));
                let start = match e.offset {
                    Some(o) if verbatim => s.span.start + 1 + o,
                    _ => s.span.start,
                };
                self.sink.error(
                    Code::InvalidRegex,
                    Some(start..start),
                    &s.key,
                    format!(
                        "expression régulière invalide dans « {} » : {}",
                        s.key, e.message_fr
                    ),
                    "corriger le motif (syntaxe Rust regex : https://docs.rs/regex/#syntax) ; \
                     l'écrire entre apostrophes '…' pour que « \\ » reste tel quel",
                );
                None
            }
        }
    }

    /// A list of regexes; `None` when the key is absent (the default applies).
    pub(super) fn regexes(&mut self, t: &Table<'_, '_>, name: &str) -> Option<Vec<Regex>> {
        let list = t.strings(&mut self.sink, name)?;
        Some(list.value.iter().filter_map(|s| self.regex(s)).collect())
    }

    pub(super) fn guid(&mut self, s: &Sp<String>, fix: &str) -> Option<Guid> {
        match s.value.trim().parse::<Guid>() {
            Ok(g) => Some(g),
            Err(()) => {
                self.sink.error(
                    Code::InvalidGuid,
                    s.at(),
                    &s.key,
                    format!(
                        "GUID invalide pour « {} » : attendu 8-4-4-4-12 chiffres hexadécimaux \
                         (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                        s.key
                    ),
                    fix,
                );
                None
            }
        }
    }

    pub(super) fn guids(&mut self, t: &Table<'_, '_>, name: &str) -> Option<Vec<Guid>> {
        let list = t.strings(&mut self.sink, name)?;
        let fix = "copier l'« ID d'objet » du groupe depuis Entra ID (Groupes > Vue d'ensemble)";
        Some(
            list.value
                .iter()
                .filter_map(|s| self.guid(s, fix))
                .collect(),
        )
    }

    pub(super) fn upn(&mut self, s: &Sp<String>) -> Option<String> {
        let v = s.value.trim();
        let ok = v
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && normalise_domain(domain).is_some());
        if ok && !v.contains(char::is_whitespace) {
            Some(v.to_lowercase())
        } else {
            self.sink.error(
                Code::InvalidValue,
                s.at(),
                &s.key,
                format!("« {} » n'est pas un UPN (nom@domaine)", s.key),
                "écrire le nom d'utilisateur principal complet, par exemple \
                 compte@cisss-exemple.onmicrosoft.com",
            );
            None
        }
    }

    pub(super) fn upns(&mut self, t: &Table<'_, '_>, name: &str) -> Option<Vec<String>> {
        let list = t.strings(&mut self.sink, name)?;
        Some(list.value.iter().filter_map(|s| self.upn(s)).collect())
    }

    pub(super) fn cidr(&mut self, s: &Sp<String>) -> Option<IpNet> {
        let v = s.value.trim();
        let net = v
            .parse::<IpNet>()
            .ok()
            .or_else(|| v.parse::<IpAddr>().ok().map(IpNet::from));
        match net {
            Some(net) => {
                let trunc = net.trunc();
                if trunc != net {
                    self.sink.note(
                        Code::Remark,
                        s.at(),
                        &s.key,
                        format!("la plage « {v} » a des bits d'hôte : elle vaut {trunc}"),
                        format!("écrire {trunc}"),
                    );
                }
                Some(trunc)
            }
            None => {
                self.sink.error(
                    Code::InvalidCidr,
                    s.at(),
                    &s.key,
                    format!("plage d'adresses invalide « {v} » dans « {} »", s.key),
                    "écrire adresse/longueur de préfixe, par exemple 10.20.0.0/16 ou \
                     2001:db8::/48 (ou une adresse seule)",
                );
                None
            }
        }
    }

    pub(super) fn cidrs(&mut self, t: &Table<'_, '_>, name: &str) -> Option<Vec<IpNet>> {
        let list = t.strings(&mut self.sink, name)?;
        Some(list.value.iter().filter_map(|s| self.cidr(s)).collect())
    }

    pub(super) fn domain_pattern(&mut self, s: &Sp<String>) -> Option<DomainPattern> {
        let v = s.value.trim();
        let pattern = match v.strip_prefix("*.") {
            Some(rest) => normalise_domain(rest).map(DomainPattern::Subdomains),
            None => normalise_domain(v).map(DomainPattern::Exact),
        };
        if pattern.is_none() {
            self.sink.error(
                Code::InvalidDomain,
                s.at(),
                &s.key,
                format!("domaine invalide « {v} » dans « {} »", s.key),
                "écrire un nom de domaine (exemple.ca) ou un motif de sous-domaines \
                 (*.exemple.ca) ; « * » n'est permis qu'en tête",
            );
        }
        pattern
    }

    pub(super) fn domain_patterns(
        &mut self,
        t: &Table<'_, '_>,
        name: &str,
    ) -> Option<Vec<DomainPattern>> {
        let list = t.strings(&mut self.sink, name)?;
        Some(
            list.value
                .iter()
                .filter_map(|s| self.domain_pattern(s))
                .collect(),
        )
    }

    pub(super) fn non_empty_strings(
        &mut self,
        t: &Table<'_, '_>,
        name: &str,
    ) -> Option<Vec<String>> {
        let list = t.strings(&mut self.sink, name)?;
        Some(
            list.value
                .into_iter()
                .filter_map(|s| self.non_empty(s, "écrire une valeur, ou retirer l'élément"))
                .map(|s| s.value)
                .collect(),
        )
    }
}

fn url_error_fr(e: url::ParseError) -> String {
    use url::ParseError as E;
    match e {
        E::RelativeUrlWithoutBase => "schéma manquant (https://…)".into(),
        E::EmptyHost => "nom d'hôte manquant".into(),
        E::InvalidPort => "port invalide".into(),
        E::InvalidIpv4Address => "adresse IPv4 invalide".into(),
        E::InvalidIpv6Address => "adresse IPv6 invalide".into(),
        E::InvalidDomainCharacter => "caractère interdit dans le nom d'hôte".into(),
        E::IdnaError => "nom de domaine international invalide".into(),
        other => format!("URL invalide ({other})"),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(a)) => a.is_loopback(),
        Some(Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    }
}

impl Ctx<'_, '_> {
    /// An endpoint base URL: https, or http to a loopback host. No value is echoed: a URL
    /// may carry a password.
    pub(super) fn endpoint(&mut self, s: &Sp<String>, example: &str) -> Option<Url> {
        let fix = format!("écrire une URL de base complète, par exemple {example}");
        let url = match Url::parse(s.value.trim()) {
            Ok(u) => u,
            Err(e) => {
                self.sink.error(
                    Code::InvalidEndpoint,
                    s.at(),
                    &s.key,
                    format!("URL invalide pour « {} » : {}", s.key, url_error_fr(e)),
                    fix,
                );
                return None;
            }
        };
        let mut problems = Vec::new();
        if !url.username().is_empty() || url.password().is_some() {
            problems.push((
                "l'URL contient un nom d'utilisateur ou un mot de passe".to_string(),
                "retirer « utilisateur:motdepasse@ » de l'URL".to_string(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            problems.push((
                "une URL de base ne peut avoir ni « ?… » ni « #… »".into(),
                fix.clone(),
            ));
        }
        let host = url.host_str().unwrap_or_default().to_string();
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => problems.push((
                format!(
                    "http:// refusé vers « {host} » : le jeton d'accès circulerait en clair \
                     (http:// n'est permis que vers 127.0.0.0/8, ::1 ou localhost)"
                ),
                format!("écrire https://{host}{}", url.path().trim_end_matches('/')),
            )),
            other => problems.push((
                format!("schéma « {other} » refusé : https:// attendu"),
                fix.clone(),
            )),
        }
        if url.host().is_none() {
            problems.push(("nom d'hôte manquant".into(), fix.clone()));
        }
        if problems.is_empty() {
            return Some(url);
        }
        for (message, fix) in problems {
            self.sink.error(
                Code::InvalidEndpoint,
                s.at(),
                &s.key,
                format!("« {} » : {message}", s.key),
                fix,
            );
        }
        None
    }
}
