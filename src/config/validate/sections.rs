//! One function per section of the file, each returning its typed form (defaults for what
//! is absent or wrong, so the rest is still checked).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use super::Ctx;
use crate::config::diag::{Code, suggest};
use crate::config::register::{RegisterProblem, check_header};
use crate::config::schema::{ATTRIBUTE, EXCEPTION, SITE, Sp, Table};
use crate::config::{
    Appli, AttributeMatcher, Classification, Collection, DirectoryAttribute, Endpoints, Evaluation,
    Exception, Generic, Limits, REGISTER_COLUMNS, RegisterFile, Report, Retention, SignInActivity,
    SiteRanges, Storage, Tenant, io_error_fr, normalise_domain,
};

pub(super) fn tenant(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Option<Tenant> {
    let t = root.section(&mut ctx.sink, "locataire");
    if !t.is_present() {
        if !root.has("locataire") {
            ctx.sink.error(
                Code::Missing,
                None,
                "locataire",
                "section [locataire] absente",
                "ajouter [locataire] avec tenant_id, domaine, client_id et etablissement (voir \
                 vigie365.exemple.toml)",
            );
        }
        return None;
    }
    let tenant_fix = "copier l'« ID de l'annuaire (locataire) » de la page Vue d'ensemble de \
                      l'application dans Entra ID";
    let client_fix = "copier l'« ID d'application (client) » de la page Vue d'ensemble de \
                      l'application dans Entra ID";
    let tenant_id = ctx
        .required_string(&t, "tenant_id", tenant_fix)
        .and_then(|s| Some((ctx.guid(&s, tenant_fix)?, s)));
    let client_id = ctx
        .required_string(&t, "client_id", client_fix)
        .and_then(|s| Some((ctx.guid(&s, client_fix)?, s)));
    if let Some((g, s)) = &tenant_id
        && g.is_nil()
    {
        ctx.sink.note(
            Code::Remark,
            s.at(),
            &s.key,
            "tenant_id est le GUID nul : valeur de l'exemple ?",
            tenant_fix,
        );
    }
    let domain_fix = "écrire le domaine principal du locataire, par exemple \
                      cisss-exemple.onmicrosoft.com";
    let domain =
        ctx.required_string(&t, "domaine", domain_fix)
            .and_then(|s| match normalise_domain(&s.value) {
                Some(d) => Some(d),
                None => {
                    ctx.sink.error(
                        Code::InvalidDomain,
                        s.at(),
                        &s.key,
                        format!("« {} » n'est pas un nom de domaine", s.key),
                        domain_fix,
                    );
                    None
                }
            });
    let establishment = ctx.required_string(
        &t,
        "etablissement",
        "écrire le nom de l'établissement tel qu'il doit figurer dans le bilan",
    );
    Some(Tenant {
        tenant_id: tenant_id?.0,
        domain: domain?,
        client_id: client_id?.0,
        establishment: establishment?.value,
    })
}

pub(super) fn endpoints(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Endpoints {
    let t = root.section(&mut ctx.sink, "points_de_terminaison");
    let mut e = Endpoints::default();
    for (name, slot) in [
        ("autorite", &mut e.authority),
        ("graph", &mut e.graph),
        ("exchange", &mut e.exchange),
    ] {
        let example = slot.as_str().trim_end_matches('/').to_string();
        if let Some(s) = t.string(&mut ctx.sink, name)
            && let Some(url) = ctx.endpoint(&s, &example)
        {
            *slot = url;
        }
    }
    e
}

pub(super) fn storage(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Storage {
    let t = root.section(&mut ctx.sink, "stockage");
    let mut st = Storage::default();
    if let Some(s) = t.string(&mut ctx.sink, "base")
        && let Some(path) = ctx.path(&s)
    {
        if path.is_dir() {
            ctx.sink.error(
                Code::InvalidPath,
                s.at(),
                &s.key,
                format!(
                    "« stockage.base » désigne le répertoire « {} » ; attendu : le fichier SQLite",
                    path.display()
                ),
                format!("écrire {}", path.join("vigie365.sqlite").display()),
            );
        }
        st.database = path;
    }
    if let Some(s) = t.string(&mut ctx.sink, "sorties")
        && let Some(path) = ctx.path(&s)
    {
        if path.exists() && !path.is_dir() {
            ctx.sink.error(
                Code::InvalidPath,
                s.at(),
                &s.key,
                format!(
                    "« stockage.sorties » désigne « {} », qui n'est pas un répertoire",
                    path.display()
                ),
                "indiquer un répertoire (il est créé en mode 0700 s'il n'existe pas)",
            );
        }
        st.outputs = path;
    }
    st
}

pub(super) fn retention(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Retention {
    let t = root.section(&mut ctx.sink, "conservation");
    let mut r = Retention::default();
    let raw = ctx.int(&t, "connexions_brutes_jours", 1, 36_500);
    let data = ctx.int(&t, "donnees_jours", 1, 36_500);
    if let Some(n) = &raw {
        r.raw_sign_ins_days = n.value;
    }
    if let Some(n) = &data {
        r.personal_data_days = n.value;
        if n.value < 366 {
            ctx.sink.note(
                Code::Remark,
                n.at(),
                &n.key,
                format!(
                    "données gardées {} jours : le bilan annuel ne couvrira pas une année entière",
                    n.value
                ),
                "donnees_jours = 400 (valeur par défaut) couvre l'année du bilan",
            );
        }
    }
    if r.raw_sign_ins_days > r.personal_data_days {
        let at = raw.as_ref().map(Sp::at).unwrap_or_else(|| t.at());
        ctx.sink.error(
            Code::InvalidValue,
            at,
            &t.key("connexions_brutes_jours"),
            format!(
                "connexions brutes gardées {} jours, plus longtemps que les données personnelles \
                 ({} jours)",
                r.raw_sign_ins_days, r.personal_data_days
            ),
            "connexions_brutes_jours doit être inférieur ou égal à donnees_jours",
        );
    }
    r
}

pub(super) fn collection(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Collection {
    let t = root.section(&mut ctx.sink, "collecte");
    let mut c = Collection::default();
    if let Some(n) = ctx.int(&t, "historique_premiere_nuit_jours", 1, 30) {
        c.first_night_days = n.value;
    }
    if let Some(n) = ctx.int(&t, "chevauchement_minutes", 0, 1440) {
        c.overlap_minutes = n.value;
    }
    c.concurrent_batches = ctx.positive(&t, "lots_simultanes", c.concurrent_batches);
    if let Some(s) = t.string(&mut ctx.sink, "activite_connexion") {
        const CHOICES: &[&str] = &["visés", "non"];
        match s.value.trim() {
            "visés" => c.sign_in_activity = SignInActivity::InScope,
            "non" => c.sign_in_activity = SignInActivity::Off,
            other => {
                let hint = suggest(other, CHOICES)
                    .map(|h| format!(" — vouliez-vous dire « {h} » ?"))
                    .unwrap_or_default();
                ctx.sink.error(
                    Code::InvalidValue,
                    s.at(),
                    &s.key,
                    format!("valeur inconnue « {other} » pour « {} »{hint}", s.key),
                    "écrire \"visés\" ou \"non\"",
                );
            }
        }
    }
    c.sign_in_activity_rotation_nights = ctx.positive(
        &t,
        "activite_connexion_rotation_nuits",
        c.sign_in_activity_rotation_nights,
    );
    if let Some(v) = ctx.upns(&t, "comptes_suivis") {
        c.followed_accounts = v;
    }
    c
}

/// `nom` of an attribute matcher: `employeeType` or `extensionAttribute1`..`15`, and for a
/// perimeter also `companyName`, `department`, `officeLocation`.
pub(super) fn attribute_name(
    ctx: &mut Ctx<'_, '_>,
    a: &Table<'_, '_>,
    perimeter: bool,
) -> Option<DirectoryAttribute> {
    let fix_name = if perimeter {
        "nom = \"companyName\", \"department\", \"officeLocation\", \"employeeType\" ou \
         \"extensionAttribute1\" à \"extensionAttribute15\""
    } else {
        "nom = \"employeeType\" ou \"extensionAttribute1\" à \"extensionAttribute15\""
    };
    ctx.required_string(a, "nom", fix_name).and_then(|s| {
        let v = s.value.as_str();
        let organisation = [
            ("companyName", DirectoryAttribute::CompanyName),
            ("department", DirectoryAttribute::Department),
            ("officeLocation", DirectoryAttribute::OfficeLocation),
        ];
        if v == "employeeType" {
            return Some(DirectoryAttribute::EmployeeType);
        }
        if let Some(n) = v
            .strip_prefix("extensionAttribute")
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=15).contains(n))
        {
            return Some(DirectoryAttribute::ExtensionAttribute(n));
        }
        if perimeter && let Some((_, a)) = organisation.iter().find(|(n, _)| *n == v) {
            return Some(*a);
        }
        let names: Vec<String> = std::iter::once("employeeType".to_string())
            .chain((1..=15).map(|n| format!("extensionAttribute{n}")))
            .chain(
                organisation
                    .iter()
                    .filter(|_| perimeter)
                    .map(|(n, _)| n.to_string()),
            )
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let hint = suggest(v, &refs)
            .map(|h| format!(" — vouliez-vous dire « {h} » ?"))
            .unwrap_or_default();
        ctx.sink.error(
            Code::InvalidValue,
            s.at(),
            &s.key,
            format!("attribut d'annuaire inconnu « {v} »{hint}"),
            fix_name,
        );
        None
    })
}

fn attribute(ctx: &mut Ctx<'_, '_>, t: &Table<'_, '_>, name: &str) -> Option<AttributeMatcher> {
    let a = t.table(&mut ctx.sink, name, ATTRIBUTE)?;
    let attr = attribute_name(ctx, &a, false);
    let values = if a.has("valeurs") {
        ctx.non_empty_strings(&a, "valeurs")
    } else {
        ctx.missing(&a, "valeurs", "valeurs = [\"Generique\"]");
        None
    };
    if let Some(v) = &values
        && v.is_empty()
        && let Some(span) = a.key_span("valeurs")
    {
        ctx.sink.error(
            Code::InvalidValue,
            Some(span),
            &a.key("valeurs"),
            format!(
                "« {} » est vide : l'attribut ne reconnaîtrait aucun compte",
                a.key("valeurs")
            ),
            format!("indiquer au moins une valeur, ou retirer « {} »", a.path()),
        );
    }
    Some(AttributeMatcher {
        attribute: attr?,
        values: values.filter(|v| !v.is_empty())?,
    })
}

pub(super) fn classification(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Classification {
    let t = root.section(&mut ctx.sink, "classification");
    let mut c = Classification::default();
    if let Some(v) = ctx.regexes(&t, "generique_nom") {
        c.generic.display_name = v;
    }
    if let Some(v) = ctx.regexes(&t, "generique_upn") {
        c.generic.upn = v;
    }
    if let Some(v) = ctx.guids(&t, "generique_groupes") {
        c.generic.groups = v;
    }
    if t.has("generique_attribut") {
        c.generic.attribute = attribute(ctx, &t, "generique_attribut");
    }
    if let Some(v) = ctx.regexes(&t, "appli_nom") {
        c.appli.display_name = v;
    }
    if let Some(v) = ctx.regexes(&t, "appli_upn") {
        c.appli.upn = v;
    }
    if let Some(v) = ctx.guids(&t, "appli_groupes") {
        c.appli.groups = v;
    }
    if t.has("appli_attribut") {
        c.appli.attribute = attribute(ctx, &t, "appli_attribut");
    }
    if let Some(v) = ctx.upns(&t, "urgence") {
        c.break_glass = v;
    }
    if let Some(v) = ctx.regexes(&t, "medecin_upn") {
        c.physician_upn = v;
    }
    if let Some(v) = ctx.guids(&t, "medecin_groupes") {
        c.physician_groups = v;
    }
    if let Some(v) = ctx.regexes(&t, "medecin_courriel") {
        c.physician_address = v;
    }
    if t.has("medecin_attribut") {
        c.physician_attribute = super::physicians::attribute_pattern(ctx, &t, "medecin_attribut");
    }
    if let Some(s) = t.string(&mut ctx.sink, "registre")
        && let Some(path) = ctx.path(&s)
    {
        c.register = register(ctx, &s, &path);
    }
    c
}

pub(super) fn register(ctx: &mut Ctx<'_, '_>, s: &Sp<String>, path: &Path) -> Option<RegisterFile> {
    let shown = path.display();
    let expected = REGISTER_COLUMNS.join(";");
    let (code, message, fix) = match check_header(path) {
        Ok(r) => return Some(r),
        Err(RegisterProblem::Unreadable(e)) => (
            if e.kind() == std::io::ErrorKind::NotFound {
                Code::FileNotFound
            } else {
                Code::InvalidRegister
            },
            format!(
                "registre des comptes génériques « {shown} » : {}",
                io_error_fr(&e)
            ),
            "corriger classification.registre, ou retirer la clé (GEN-REG-01 le signalera \
             alors comme non configuré)"
                .to_string(),
        ),
        Err(RegisterProblem::NotUtf8) => (
            Code::InvalidRegister,
            format!("registre « {shown} » : l'en-tête n'est pas en UTF-8"),
            "Excel : Fichier > Enregistrer sous > « CSV UTF-8 (délimité par des virgules) »"
                .to_string(),
        ),
        Err(RegisterProblem::Empty) => (
            Code::InvalidRegister,
            format!("registre « {shown} » vide : la première ligne doit être l'en-tête"),
            format!("écrire l'en-tête en première ligne : {expected}"),
        ),
        Err(RegisterProblem::MissingColumns {
            missing,
            found,
            delimiter,
        }) => (
            Code::InvalidRegister,
            format!(
                "colonne{} manquante{} dans l'en-tête du registre « {shown} » : {} (colonnes \
                 trouvées : {})",
                if missing.len() > 1 { "s" } else { "" },
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                found.join(", ")
            ),
            format!(
                "ajouter {} à la première ligne (séparateur « {} », ordre libre) ; en-tête \
                 complet : {expected}",
                missing.join(&char::from(delimiter).to_string()),
                char::from(delimiter)
            ),
        ),
    };
    ctx.sink.error(code, s.at(), &s.key, message, fix);
    None
}

pub(super) fn generic(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Generic {
    let t = root.section(&mut ctx.sink, "generiques");
    let mut g = Generic::default();
    if let Some(v) = ctx.non_empty_strings(&t, "applications_permises") {
        g.allowed_apps = v;
    }
    if let Some(v) = ctx.cidrs(&t, "plages_ip") {
        g.ip_ranges = v;
    }
    if let Some(n) = ctx.int(&t, "age_max_mot_de_passe_jours", 1, 36_500) {
        g.max_password_age_days = n.value;
    }
    for site in t.tables(&mut ctx.sink, "sites", SITE).unwrap_or_default() {
        let pattern = if site.has("motif") {
            site.string(&mut ctx.sink, "motif")
                .and_then(|s| ctx.regex(&s))
        } else {
            ctx.missing(&site, "motif", "motif = \"(?i)CHSLD de Verdun\"");
            None
        };
        let ranges = if site.has("plages_ip") {
            ctx.cidrs(&site, "plages_ip")
        } else {
            ctx.missing(&site, "plages_ip", "plages_ip = [\"10.20.0.0/16\"]");
            None
        };
        if let Some(r) = &ranges
            && r.is_empty()
            && let Some(span) = site.key_span("plages_ip")
        {
            ctx.sink.error(
                Code::InvalidValue,
                Some(span),
                &site.key("plages_ip"),
                format!("« {} » est vide", site.key("plages_ip")),
                "indiquer au moins une plage, ou retirer ce [[generiques.sites]]",
            );
        }
        if let (Some(pattern), Some(ip_ranges)) = (pattern, ranges) {
            g.sites.push(SiteRanges { pattern, ip_ranges });
        }
    }
    g
}

pub(super) fn appli(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Appli {
    let t = root.section(&mut ctx.sink, "appli");
    let mut allowed = BTreeMap::new();
    for (account, clients) in t
        .string_lists_by_key(&mut ctx.sink, "clients_permis")
        .unwrap_or_default()
    {
        let upn = ctx.upn(&account);
        let clients: Vec<String> = clients
            .value
            .into_iter()
            .filter_map(|s| ctx.non_empty(s, "écrire le nom ou l'appId du client"))
            .map(|s| s.value)
            .collect();
        if let Some(upn) = upn {
            allowed.insert(upn, clients);
        }
    }
    Appli {
        allowed_clients: allowed,
    }
}

pub(super) fn evaluation(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Evaluation {
    let t = root.section(&mut ctx.sink, "evaluation");
    let mut e = Evaluation::default();
    if let Some(n) = ctx.int(&t, "fenetre_connexions_jours", 1, 366) {
        e.window_days = n.value;
    }
    if let Some(s) = t.string(&mut ctx.sink, "fuseau") {
        match s.value.trim().parse::<chrono_tz::Tz>() {
            Ok(tz) => e.timezone = tz,
            Err(_) => {
                let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
                let hint = suggest(s.value.trim(), &names)
                    .map(|h| format!(" — vouliez-vous dire « {h} » ?"))
                    .unwrap_or_default();
                ctx.sink.error(
                    Code::UnknownTimeZone,
                    s.at(),
                    &s.key,
                    format!("fuseau horaire inconnu « {} »{hint}", s.value.trim()),
                    "écrire un nom IANA, par exemple fuseau = \"America/Montreal\"",
                );
            }
        }
    }
    e
}

pub(super) fn exceptions(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Vec<Exception> {
    let mut out: Vec<Exception> = Vec::new();
    let Some(entries) = root.tables(&mut ctx.sink, "exceptions", EXCEPTION) else {
        return out;
    };
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    let example = format!(
        "controle = \"{}\"",
        ctx.known_checks.first().copied().unwrap_or("…")
    );
    for e in entries {
        let check_id = ctx.required_string(&e, "controle", &example).and_then(|s| {
            if ctx.known_checks.contains(&s.value.as_str()) {
                return Some(s);
            }
            let hint = suggest(&s.value, ctx.known_checks)
                .map(|h| format!(" — vouliez-vous dire « {h} » ?"))
                .unwrap_or_default();
            ctx.sink.error(
                Code::UnknownCheck,
                s.at(),
                &s.key,
                format!("contrôle inconnu « {} »{hint}", s.value),
                format!(
                    "écrire l'identifiant d'un contrôle : {}",
                    ctx.known_checks.join(", ")
                ),
            );
            None
        });
        let subject = ctx.required_string(
            &e,
            "sujet",
            "sujet = le compte, la règle ou l'adresse visé par l'exception",
        );
        let (justification, owner, expires) = accepted_risk(ctx, &e, "une exception");
        if let (Some(c), Some(s)) = (&check_id, &subject) {
            let line = ctx.sink.source.locate(s.span.start).0;
            let subject_key = s.value.to_lowercase();
            if let Some((_, _, first)) = seen
                .iter()
                .find(|(id, subj, _)| *id == c.value && *subj == subject_key)
            {
                ctx.sink.error(
                    Code::Duplicate,
                    e.at(),
                    e.path(),
                    format!(
                        "exception en double : {} pour « {} » est déjà déclarée (ligne {first})",
                        c.value, s.value
                    ),
                    "garder une seule de ces exceptions",
                );
            } else {
                seen.push((c.value.clone(), subject_key, line));
            }
        }
        if let (Some(c), Some(s), Some(j), Some(o), Some(x)) =
            (check_id, subject, justification, owner, expires)
        {
            out.push(Exception {
                check_id: c.value,
                subject: s.value,
                justification: j.value,
                owner: o.value,
                expires: x.value,
            });
        }
    }
    out
}

/// The justification, owner and expiry of an accepted risk, each when valid.
pub(super) type AcceptedRisk = (
    Option<Sp<String>>,
    Option<Sp<String>>,
    Option<Sp<NaiveDate>>,
);

/// What an accepted risk always carries (`[[exceptions]]`, `[[partenaires]]`): its
/// justification, its owner and its expiry; `what` names the entry in the fix.
pub(super) fn accepted_risk(ctx: &mut Ctx<'_, '_>, e: &Table<'_, '_>, what: &str) -> AcceptedRisk {
    let justification = ctx.required_string(
        e,
        "justification",
        "justification = pourquoi ce risque est accepté (elle figure dans le bilan)",
    );
    let owner = ctx.required_string(
        e,
        "responsable",
        "responsable = qui a accepté ce risque (par ex. \"RSI, J. Tremblay\")",
    );
    let expires = if e.has("expiration") {
        e.date(&mut ctx.sink, "expiration")
    } else {
        ctx.missing(
            e,
            "expiration",
            &format!("expiration = 2027-03-31 ({what} a toujours une fin)"),
        );
        None
    };
    (justification, owner, expires)
}

pub(super) fn limits(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Limits {
    let t = root.section(&mut ctx.sink, "limites");
    let mut l = Limits::default();
    for (name, slot) in [
        ("annuaire_unites_par_10s", &mut l.directory_units_per_10s),
        (
            "activite_connexion_par_minute",
            &mut l.sign_in_activity_per_minute,
        ),
        ("rapports_par_10s", &mut l.reports_per_10s),
        ("acces_conditionnel_par_s", &mut l.conditional_access_per_s),
        (
            "outlook_simultanees_par_boite",
            &mut l.outlook_concurrent_per_mailbox,
        ),
        ("exchange_par_s", &mut l.exchange_per_s),
        ("tentatives_max", &mut l.max_attempts),
    ] {
        *slot = ctx.positive(&t, name, *slot);
    }
    l
}

pub(super) fn report(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Report {
    let t = root.section(&mut ctx.sink, "rapport");
    let mut r = Report::default();
    if let Some(s) = t.string(&mut ctx.sink, "logo")
        && let Some(path) = ctx.existing_file(&s, "logo")
    {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if matches!(ext.as_deref(), Some("png" | "svg")) {
            r.logo = Some(path);
        } else {
            ctx.sink.error(
                Code::InvalidValue,
                s.at(),
                &s.key,
                format!("logo « {} » : PNG ou SVG attendu", path.display()),
                "fournir le logo en .png ou .svg",
            );
        }
    }
    if let Some(s) = t.string(&mut ctx.sink, "gabarits")
        && let Some(path) = ctx.path(&s)
    {
        if path.is_dir() {
            r.templates = Some(path);
        } else {
            ctx.sink.error(
                Code::FileNotFound,
                s.at(),
                &s.key,
                format!("répertoire de gabarits « {} » introuvable", path.display()),
                "indiquer un répertoire existant, ou retirer la clé (gabarits livrés)",
            );
        }
    }
    r
}
