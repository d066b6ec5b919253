//! Every model of a Graph or Exchange response, fed arbitrary bytes: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie365::graph::client::decode;
use vigie365::graph::{RequestLabel, models};

fuzz_target!(|data: &[u8]| {
    let l = RequestLabel { query: "fuzz".into(), path: "/fuzz".into() };
    let _ = decode::<models::User>(&l, data);
    let _ = decode::<models::SignIn>(&l, data);
    let _ = decode::<models::RegistrationDetail>(&l, data);
    let _ = decode::<models::ConditionalAccessPolicy>(&l, data);
    let _ = decode::<models::NamedLocation>(&l, data);
    let _ = decode::<models::MessageRules>(&l, data);
    let _ = decode::<models::Mailbox>(&l, data);
    let _ = decode::<models::MailContact>(&l, data);
    let _ = decode::<models::TransportRule>(&l, data);
    let _ = decode::<models::RemoteDomain>(&l, data);
    let _ = decode::<models::OutboundSpamPolicy>(&l, data);
    let _ = decode::<models::AcceptedDomain>(&l, data);
});
