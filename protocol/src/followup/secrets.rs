//! A follow-up's secrets: the values of its secret headers (on every HTTP call it
//! makes: the integration calls, the card actions, the recipients' call) and the
//! webhook channel's URL. They are write-only: answers and exports leave them out, and
//! a spec sent back without them keeps the stored ones.

use super::{Channel, FollowUpSpec, IntegrationCall};

impl FollowUpSpec {
    /// Every HTTP call of this spec with its field prefix (`calls[0]`, `actions[1]`,
    /// `recipients.lookup.call`).
    pub fn http_calls(&self) -> Vec<(String, &IntegrationCall)> {
        let calls = self
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("calls[{i}]"), c));
        let actions = self
            .actions
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("actions[{i}]"), c));
        let lookup = self
            .recipients
            .lookup
            .iter()
            .map(|l| ("recipients.lookup.call".to_string(), &l.call));
        calls.chain(actions).chain(lookup).collect()
    }

    /// Every secret field of this spec, with a value or not (what an export leaves out).
    pub fn secret_fields(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .http_calls()
            .into_iter()
            .flat_map(|(prefix, c)| {
                c.headers
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.secret)
                    .map(move |(h, _)| format!("{prefix}.headers[{h}].value"))
            })
            .collect();
        if self.channel == Channel::Webhook {
            out.push("webhook_url".into());
        }
        out
    }

    /// The first secret this spec lacks, by field: a secret header without a value, a
    /// webhook channel without its URL. Such a follow-up cannot run.
    pub fn missing_secret(&self) -> Option<String> {
        for (prefix, c) in self.http_calls() {
            for (h, header) in c.headers.iter().enumerate() {
                if header.secret && header.value.is_none() {
                    return Some(format!("{prefix}.headers[{h}].value"));
                }
            }
        }
        (self.channel == Channel::Webhook && self.webhook_url.is_none())
            .then(|| "webhook_url".to_string())
    }

    pub fn missing_secrets(&self) -> bool {
        self.missing_secret().is_some()
    }

    /// This spec with its secrets blanked (for answers and exports).
    pub fn without_secrets(&self) -> FollowUpSpec {
        let mut s = self.clone();
        let lookup = s.recipients.lookup.iter_mut().map(|l| &mut l.call);
        for h in s
            .calls
            .iter_mut()
            .chain(s.actions.iter_mut())
            .chain(lookup)
            .flat_map(|c| c.headers.iter_mut())
        {
            if h.secret {
                h.value = None;
            }
        }
        s.webhook_url = None;
        s
    }

    /// Fill the secrets this spec leaves out (`None`) from `stored`: a header by call
    /// (or action) and header name, the recipients' call's by header name, the webhook
    /// URL.
    pub fn keep_secrets_of(&mut self, stored: &FollowUpSpec) {
        fn by_name<'a>(list: &'a [IntegrationCall], name: &str) -> Option<&'a IntegrationCall> {
            list.iter().find(|o| o.name == name)
        }
        for c in &mut self.calls {
            keep_headers(c, by_name(&stored.calls, &c.name));
        }
        for c in &mut self.actions {
            keep_headers(c, by_name(&stored.actions, &c.name));
        }
        if let Some(l) = &mut self.recipients.lookup {
            keep_headers(
                &mut l.call,
                stored.recipients.lookup.as_ref().map(|o| &o.call),
            );
        }
        if self.webhook_url.is_none() {
            self.webhook_url = stored.webhook_url.clone();
        }
    }
}

/// `c`'s secret headers without a value take `old`'s value of the same header.
fn keep_headers(c: &mut IntegrationCall, old: Option<&IntegrationCall>) {
    for h in c
        .headers
        .iter_mut()
        .filter(|h| h.secret && h.value.is_none())
    {
        h.value = old
            .and_then(|o| {
                o.headers
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(&h.name))
            })
            .and_then(|x| x.value.clone());
    }
}
