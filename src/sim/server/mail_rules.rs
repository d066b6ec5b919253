//! `/users/{id}/mailFolders/inbox/messageRules`.

use serde_json::{Value, json};

use super::{Resp, Rq, Shared, context, find_user, graph_error};
use crate::sim::render;

pub(super) fn message_rules(st: &Shared, rq: Rq, ver: &str, id: &str) -> Resp {
    let day = st.day();
    let acc = match find_user(st, id, day).and_then(|i| st.sc.account(i, day)) {
        Some(a) => a,
        None => {
            return graph_error(
                st,
                rq,
                404,
                "ErrorInvalidUser",
                &format!("The requested user '{}' is invalid.", id),
            );
        }
    };
    if !acc.has_mailbox() {
        return graph_error(
            st,
            rq,
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        );
    }
    let v: Vec<Value> = st
        .sc
        .inbox_rules(&acc, day)
        .iter()
        .map(render::message_rule)
        .collect();
    Resp::json(
        200,
        json!({
            "@odata.context": context(st, ver, &format!("users('{}')/mailFolders('inbox')/messageRules", acc.id)),
            "value": v,
        }),
    )
}

// ---------------------------------------------------------------- $batch
