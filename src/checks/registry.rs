//! The registry: every check once, with what it needs. It drives evaluation, the README's
//! table and `vigie365 checks`.

use super::{Finding, Severity, Snapshot, appli, forwarding, generic};
use crate::config::Config;

/// A check of the catalogue.
pub struct CheckInfo {
    /// Stable id (RULES.md).
    pub id: &'static str,
    /// Default severity (some checks lower or raise it per finding, as RULES.md says).
    pub severity: Severity,
    /// As shown to users.
    pub title_fr: &'static str,
    /// The directive article or recommendation it enforces.
    pub reference: &'static str,
    /// French, two or three sentences: what it looks at, what it must not flag.
    pub doc: &'static str,
    /// Sources (query names) that must have been collected for the check to be evaluated.
    pub needs: &'static [&'static str],
    pub run: fn(&Snapshot, &Config) -> Vec<Finding>,
}

impl std::fmt::Debug for CheckInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckInfo").field("id", &self.id).finish()
    }
}

/// The directive article every forwarding check enforces (RULES.md).
const FORWARDING: &str = "MSSS-DIR04, art. 6 4° et 5°";

/// What the inbox-rule and mailbox forwarding checks cannot do without. The tenant's
/// controls (remote domains, outbound spam policies) only lower the severity: without them
/// the checks still run and say the blocking is unknown.
const FORWARDS: &[&str] = &[
    "users",
    "message-rules",
    "exchange-mailboxes",
    "exchange-mail-contacts",
    "exchange-accepted-domains",
];

/// Every check, in catalogue order.
pub static REGISTRY: &[CheckInfo] = &[
    CheckInfo {
        id: generic::gen_mfa_01::ID,
        severity: generic::gen_mfa_01::SEVERITY,
        title_fr: "Compte générique sans MFA enregistrée",
        reference: "Orientation abonnements génériques CHSLD, recommandations techniques (MFA)",
        doc: "Compte générique actif dont l'inscription MFA indique isMfaRegistered = false. Ne vise ni les \
              comptes désactivés, ni les invités, ni les comptes sans ligne d'inscription (inconnu).",
        needs: &["users", "user-registration-details"],
        run: generic::gen_mfa_01::run,
    },
    CheckInfo {
        id: generic::gen_mfa_02::ID,
        severity: generic::gen_mfa_02::SEVERITY,
        title_fr: "Compte générique exempté de la MFA",
        reference: "Orientation abonnements génériques CHSLD, recommandations techniques (MFA)",
        doc: "Compte générique actif auquel aucune stratégie d'accès conditionnel active exigeant la MFA ne \
              s'applique (exclu directement ou par groupe, ou jamais inclus), ou qui s'est connecté avec un \
              seul facteur dans la fenêtre. Les stratégies en mode rapport ne comptent pas ; les rôles ne \
              sont pas résolus et le constat le dit.",
        needs: &[
            "users",
            "conditional-access-policies",
            "group-members",
            "sign-ins",
        ],
        run: generic::gen_mfa_02::run,
    },
    CheckInfo {
        id: generic::gen_app_01::ID,
        severity: generic::gen_app_01::SEVERITY,
        title_fr: "Compte générique utilisé hors consultation virtuelle",
        reference: "Orientation abonnements génériques CHSLD, recommandations techniques \
                    (consultations virtuelles seulement)",
        doc: "Compte générique actif connecté avec succès, dans la fenêtre, à une application absente de \
              generiques.applications_permises (nom ou appId). Ne vise pas les connexions échouées ni les \
              applications permises (par défaut : Teams et ses dépendances de connexion).",
        needs: &["users", "sign-ins"],
        run: generic::gen_app_01::run,
    },
    CheckInfo {
        id: generic::gen_ip_01::ID,
        severity: generic::gen_ip_01::SEVERITY,
        title_fr: "Connexion d'un compte générique hors des adresses IP fixes",
        reference: "Orientation abonnements génériques CHSLD, recommandations techniques (adresse IP fixe)",
        doc: "Compte générique actif connecté avec succès depuis une adresse hors des plages de son site, \
              de generiques.plages_ip et des emplacements nommés de confiance. Sans aucune plage pour le \
              compte : un constat info « aucune IP fixe associée ». Une connexion sans adresse n'est pas \
              hors plage.",
        needs: &["users", "sign-ins", "named-locations"],
        run: generic::gen_ip_01::run,
    },
    CheckInfo {
        id: generic::gen_pwd_01::ID,
        severity: generic::gen_pwd_01::SEVERITY,
        title_fr: "Mot de passe de compte générique non changé après un départ",
        reference: "Orientation abonnements génériques CHSLD, recommandations organisationnelles \
                    (répertoire des utilisateurs, mots de passe changés aux départs)",
        doc: "Compte générique actif dont le mot de passe a été changé avant le dernier départ inscrit au \
              répertoire, ou il y a plus de generiques.age_max_mot_de_passe_jours jours (jamais changé \
              compris). Ne vise pas un compte sans départ dont le mot de passe est assez récent.",
        needs: &["users"],
        run: generic::gen_pwd_01::run,
    },
    CheckInfo {
        id: generic::gen_reg_01::ID,
        severity: generic::gen_reg_01::SEVERITY,
        title_fr: "Compte générique absent du répertoire",
        reference: "Orientation abonnements génériques CHSLD, recommandations organisationnelles \
                    (répertoire des utilisateurs)",
        doc: "Compte générique actif sans ligne au répertoire, ou ligne du répertoire nommant un compte \
              inexistant. Sans répertoire configuré : un seul constat info pour le locataire.",
        needs: &["users"],
        run: generic::gen_reg_01::run,
    },
    CheckInfo {
        id: appli::app_gen_01::ID,
        severity: appli::app_gen_01::SEVERITY,
        title_fr: "Compte générique de type « Appli »",
        reference: "Orientation abonnements génériques CHSLD, recommandations techniques \
                    (MFA ; type « Appli » réservé aux applications)",
        doc: "Compte actif à la fois générique et de type « Appli » : le contournement de la MFA que \
              l'orientation nomme.",
        needs: &["users"],
        run: appli::app_gen_01::run,
    },
    CheckInfo {
        id: appli::app_int_01::ID,
        severity: appli::app_int_01::SEVERITY,
        title_fr: "Compte « Appli » utilisé de façon interactive",
        reference: "Orientation abonnements génériques CHSLD, recommandations techniques \
                    (MFA ; type « Appli » réservé aux applications)",
        doc: "Compte « Appli » actif avec une connexion interactive réussie dans la fenêtre vers une \
              application qui n'est pas un de ses clients permis ([appli].clients_permis). Ne vise pas les \
              connexions non interactives.",
        needs: &["users", "sign-ins"],
        run: appli::app_int_01::run,
    },
    CheckInfo {
        id: appli::app_mfa_01::ID,
        severity: appli::app_mfa_01::SEVERITY,
        title_fr: "Exemption de MFA non justifiée",
        reference: "Orientation abonnements génériques CHSLD, recommandations techniques (MFA)",
        doc: "Compte nominatif actif exclu (directement ou par groupe) d'au moins une stratégie active \
              exigeant la MFA et auquel aucune ne s'applique. Ne vise ni les comptes « Appli », ni les \
              comptes d'urgence, ni les comptes génériques (GEN-MFA-02) ; une exception le garde listé \
              comme accepté.",
        needs: &["users", "conditional-access-policies", "group-members"],
        run: appli::app_mfa_01::run,
    },
    CheckInfo {
        id: forwarding::fwd_pub_01::ID,
        severity: forwarding::fwd_pub_01::SEVERITY,
        title_fr: "Redirection automatique vers une messagerie publique",
        reference: FORWARDING,
        doc: "Règle de boîte de réception activée ou redirection de boîte (ForwardingSmtpAddress, \
              ForwardingAddress vers un contact) vers une messagerie publique (liste livrée, ajustée par \
              [domaines]). Comptes désactivés et boîtes partagées compris ; gravité abaissée d'un cran si le \
              locataire bloquerait la redirection.",
        needs: FORWARDS,
        run: forwarding::fwd_pub_01::run,
    },
    CheckInfo {
        id: forwarding::fwd_ext_01::ID,
        severity: forwarding::fwd_ext_01::SEVERITY,
        title_fr: "Redirection automatique vers un domaine externe",
        reference: FORWARDING,
        doc: "Règle de boîte de réception activée ou redirection de boîte vers un domaine externe qui n'est \
              ni interne, ni public, ni partenaire permis ; une cible illisible y est signalée comme \
              invalide. Comptes désactivés et boîtes partagées compris ; gravité abaissée d'un cran si le \
              locataire bloquerait la redirection.",
        needs: FORWARDS,
        run: forwarding::fwd_ext_01::run,
    },
    CheckInfo {
        id: forwarding::fwd_trn_01::ID,
        severity: forwarding::fwd_trn_01::SEVERITY,
        title_fr: "Règle de transport redirigeant vers l'externe",
        reference: FORWARDING,
        doc: "Règle de transport activée qui redirige, copie ou copie cachée vers un domaine public ou \
              externe, partenaires compris : la liste des partenaires permet la redirection d'une personne \
              (FWD-EXT-01), pas la copie du flux du locataire (un flux convenu se déclare en exception). \
              Les contrôles de redirection du locataire ne s'y appliquent pas : la gravité n'est pas \
              abaissée.",
        needs: &[
            "exchange-transport-rules",
            "exchange-accepted-domains",
            "exchange-mail-contacts",
        ],
        run: forwarding::fwd_trn_01::run,
    },
    CheckInfo {
        id: forwarding::fwd_org_01::ID,
        severity: forwarding::fwd_org_01::SEVERITY,
        title_fr: "Le locataire permet la redirection externe automatique",
        reference: FORWARDING,
        doc: "Les deux couches (stratégie sortante par défaut avec AutoForwardingMode = On, domaine distant \
              avec AutoForwardEnabled = true) autorisent la redirection externe : élevée ; une seule : \
              moyenne ; aucune : pas de constat.",
        needs: &["exchange-outbound-spam-policies", "exchange-remote-domains"],
        run: forwarding::fwd_org_01::run,
    },
    CheckInfo {
        id: forwarding::fwd_dis_01::ID,
        severity: forwarding::fwd_dis_01::SEVERITY,
        title_fr: "Règle de redirection désactivée vers l'externe",
        reference: FORWARDING,
        doc: "Règle de boîte de réception désactivée qui redirigerait vers un domaine public ou externe non \
              partenaire : elle peut être réactivée à tout moment. Gravité abaissée d'un cran si le locataire \
              bloquerait la redirection.",
        needs: &["users", "message-rules", "exchange-accepted-domains"],
        run: forwarding::fwd_dis_01::run,
    },
];

/// The catalogue as a Markdown table (printed by `vigie365 checks`, pasted in the README
/// between markers; a test keeps both equal).
pub fn table_fr() -> String {
    let mut out = String::from("| contrôle | sévérité | titre | référence |\n|---|---|---|---|\n");
    for c in REGISTRY {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.id,
            c.severity.label(),
            c.title_fr,
            c.reference
        ));
    }
    out
}

/// The check of that id.
pub fn get(id: &str) -> Option<&'static CheckInfo> {
    REGISTRY.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_known_to_the_configuration() {
        let mut ids: Vec<&str> = REGISTRY.iter().map(|c| c.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate check id");
        for id in &ids {
            assert!(
                crate::config::KNOWN_CHECK_IDS.contains(id),
                "{id} unknown to the configuration"
            );
        }
    }

    #[test]
    fn every_need_is_a_query_of_the_catalogue() {
        for c in REGISTRY {
            for n in c.needs {
                assert!(
                    crate::queries::get(n).is_some(),
                    "{}: unknown source {n}",
                    c.id
                );
            }
        }
    }
}
