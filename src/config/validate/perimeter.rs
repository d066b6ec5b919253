//! The perimeter DIR04 art. 6 draws: which domains are internal (`[domaines]`: the RSSS
//! network, extra internal domains, public webmail adjustments) and which partners are
//! declared (`[[partenaires]]`, each like an exception: justification, responsable,
//! expiration).
//!
//! Internal means the corporate collaboration platform (DIR04 6 3°): the tenant's accepted
//! domains and the network's domains, not `*.gouv.qc.ca` — a ministry or agency outside the
//! network is external. A configuration that still lists it is accepted, with a warning
//! (`perimetre-trop-large`) and its fix. The old silent list `[domaines].partenaires` is
//! refused (`forme-remplacee`): a partner now carries its justification, its owner and its
//! expiry, and its forwards stay findings, listed as accepted.

use super::Ctx;
use super::sections::accepted_risk;
use crate::config::diag::Code;
use crate::config::schema::{PARTNER, Sp, Table};
use crate::config::{DomainPattern, Domains, Partner, normalise_domain};

/// A domain of a ministry outside the network: a pattern that covers it reaches beyond the
/// perimeter of DIR04 art. 6.
const OUTSIDE_NETWORK_PROBE: &str = "mcn.gouv.qc.ca";

/// The fix every "too wide" warning gives.
const NETWORK_FIX: &str = "retirer ce motif : les domaines du réseau se déclarent dans \
     [domaines].reseau (par défaut ssss.gouv.qc.ca et msss.gouv.qc.ca, sous-domaines compris) ; \
     un autre domaine interne s'ajoute nommément à [domaines].internes";

pub(super) fn domains(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Domains {
    let t = root.section(&mut ctx.sink, "domaines");
    let mut d = Domains::default();
    if let Some(list) = t.strings(&mut ctx.sink, "reseau") {
        d.network = list.value.iter().filter_map(|s| network(ctx, s)).collect();
    }
    if let Some(list) = t.strings(&mut ctx.sink, "internes") {
        d.internal = list
            .value
            .iter()
            .filter_map(|s| {
                let p = ctx.domain_pattern(s)?;
                if p.matches(OUTSIDE_NETWORK_PROBE) {
                    too_wide(ctx, s);
                }
                Some(p)
            })
            .collect();
    }
    for (name, slot) in [
        ("publics_ajout", &mut d.public_added),
        ("publics_retrait", &mut d.public_removed),
    ] {
        if let Some(v) = ctx.domain_patterns(&t, name) {
            *slot = v;
        }
    }
    if let Some(span) = t.key_span("partenaires") {
        ctx.sink.error(
            Code::Replaced,
            Some(span),
            &t.key("partenaires"),
            "« domaines.partenaires » n'existe plus : un domaine partenaire n'est pas une \
             exemption silencieuse (DIR04 art. 6 5°) ; il se déclare comme une exception, avec \
             sa justification, son responsable et son expiration, et les redirections vers lui \
             restent listées, « accepté »",
            "remplacer la liste par une table [[partenaires]] par domaine : domaine = \
             \"exemple.ca\", justification = \"…\", responsable = \"…\", expiration = 2027-03-31",
        );
    }
    d.partners = partners(ctx, root);
    d
}

/// One domain of `reseau`: the domain and its subdomains (a `*.` prefix says the same).
fn network(ctx: &mut Ctx<'_, '_>, s: &Sp<String>) -> Option<String> {
    let v = s.value.trim();
    let Some(domain) = normalise_domain(v.strip_prefix("*.").unwrap_or(v)) else {
        ctx.sink.error(
            Code::InvalidDomain,
            s.at(),
            &s.key,
            format!("domaine invalide « {v} » dans « {} »", s.key),
            "écrire un nom de domaine du réseau, par exemple \"ssss.gouv.qc.ca\" (ses \
             sous-domaines sont compris)",
        );
        return None;
    };
    let covered = DomainPattern::Exact(domain.clone()).matches(OUTSIDE_NETWORK_PROBE)
        || DomainPattern::Subdomains(domain.clone()).matches(OUTSIDE_NETWORK_PROBE);
    if covered {
        too_wide(ctx, s);
    }
    Some(domain)
}

fn too_wide(ctx: &mut Ctx<'_, '_>, s: &Sp<String>) {
    ctx.sink.note(
        Code::PerimeterTooWide,
        s.at(),
        &s.key,
        format!(
            "« {} » dans « {} » tient pour internes tous les domaines gouvernementaux \
             (gouv.qc.ca) : un ministère ou un organisme hors du réseau de la santé serait \
             interne, et une redirection vers lui échapperait à FWD-EXT-01 (DIR04 art. 6 : \
             seuls les domaines du locataire et du réseau sont internes)",
            s.value.trim(),
            s.key
        ),
        NETWORK_FIX,
    );
}

/// `[[partenaires]]`, validated like `[[exceptions]]`.
fn partners(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Vec<Partner> {
    let mut out: Vec<Partner> = Vec::new();
    let Some(entries) = root.tables(&mut ctx.sink, "partenaires", PARTNER) else {
        return out;
    };
    let mut seen: Vec<(DomainPattern, usize)> = Vec::new();
    for e in entries {
        let domain = ctx
            .required_string(
                &e,
                "domaine",
                "domaine = \"exemple.ca\" (ou \"*.exemple.ca\" pour ses sous-domaines)",
            )
            .and_then(|s| Some((ctx.domain_pattern(&s)?, s)));
        let (justification, owner, expires) =
            accepted_risk(ctx, &e, "une déclaration de partenaire");
        if let Some((p, s)) = &domain {
            let line = ctx.sink.source.locate(s.span.start).0;
            if let Some((_, first)) = seen.iter().find(|(q, _)| q == p) {
                ctx.sink.error(
                    Code::Duplicate,
                    e.at(),
                    e.path(),
                    format!("partenaire en double : « {p} » est déjà déclaré (ligne {first})"),
                    "garder une seule déclaration par domaine",
                );
            } else {
                seen.push((p.clone(), line));
            }
        }
        if let (Some((domain, _)), Some(j), Some(o), Some(x)) =
            (domain, justification, owner, expires)
        {
            out.push(Partner {
                domain,
                justification: j.value,
                owner: o.value,
                expires: x.value,
            });
        }
    }
    out
}
