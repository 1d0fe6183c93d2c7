//! One outbound message as it goes on the wire: headers (with the threading of a reply),
//! a plain-text part as the agent wrote it and an HTML part made from it, sanitised.

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart};

use crate::store::outbox::{ClaimedEmail, MailFile};
use crate::text::html_escape;

/// The HTML part of `body`: every character escaped, then the composer's three marks
/// made into elements — `**bold**`, `_italic_`, `[text](https://…)` — one `<br>` per
/// line break; passed through the sanitiser all the same (a link's address is the one
/// thing that comes through as written, and only `http(s)`/`mailto` ones are kept).
pub fn html(body: &str) -> String {
    let mut out = String::from("<div>");
    for (i, line) in body.lines().enumerate() {
        if i > 0 {
            out.push_str("<br>\n");
        }
        out.push_str(&inline(line));
    }
    out.push_str("</div>");
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&out)
        .to_string()
}

/// The longest link text and address the HTML part makes a link of, in bytes.
const LINK_TEXT: usize = 500;
const LINK_URL: usize = 2000;

/// The start of `s`, at most `n` bytes (cut at a character boundary).
fn near(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// One line's marks; text outside them escaped.
fn inline(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    // Once a link's `](` or `)` is missing, it is missing for the rest of the line: not
    // looked for again at every `[`; and a link's text and address are looked for only
    // so far ([`LINK_TEXT`], [`LINK_URL`]): a line of `[` stays linear.
    let mut links = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
            && end > 0
        {
            out.push_str(&format!("<strong>{}</strong>", inline(&after[..end])));
            rest = &after[end + 2..];
            continue;
        }
        // `snake_case` is no emphasis: a mark opens only after a non-word character.
        if let Some(after) = rest.strip_prefix('_')
            && !out.ends_with(|c: char| c.is_alphanumeric())
            && let Some(end) = after.find('_')
            && end > 0
        {
            out.push_str(&format!("<em>{}</em>", inline(&after[..end])));
            rest = &after[end + 1..];
            continue;
        }
        if links && let Some(after) = rest.strip_prefix('[') {
            let found = near(after, LINK_TEXT).find("](").and_then(|mid| {
                near(&after[mid + 2..], LINK_URL)
                    .find(')')
                    .map(|close| (mid, close))
            });
            let Some((mid, close)) = found else {
                links = false;
                continue;
            };
            let (text, url) = (&after[..mid], &after[mid + 2..mid + 2 + close]);
            if url.starts_with("https://") || url.starts_with("http://") {
                out.push_str(&format!(
                    "<a href=\"{}\">{}</a>",
                    html_escape(url),
                    html_escape(text)
                ));
                rest = &after[mid + 3 + close..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push_str(&html_escape(&c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The message for `m` from `from`, with `files` after its text; why it cannot be built
/// (an address the builder does not take), which is a permanent failure.
pub fn build(
    m: &ClaimedEmail,
    from: Mailbox,
    files: Vec<MailFile>,
    date: std::time::SystemTime,
) -> Result<Message, String> {
    let to: Mailbox = m
        .to_address
        .parse()
        .map_err(|e| format!("`{}` is not an address: {e}", m.to_address))?;
    // Header values are encoded by the builder; the draft's rule already refused line
    // breaks, and control characters are blanked here again for good measure.
    let subject: String = m
        .subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .date(date)
        .message_id(Some(m.message_id.clone()));
    if let Some(parent) = &m.in_reply_to {
        b = b.in_reply_to(parent.clone()).references(parent.clone());
    }
    let text = MultiPart::alternative_plain_html(m.body.clone(), html(&m.body));
    let mut body = text;
    if !files.is_empty() {
        // The text first, then each file, in base64 whatever its type: a text file's
        // line ends arrive as they were (its name is encoded by the builder).
        let mut mixed = MultiPart::mixed().multipart(body);
        for f in files {
            let kind = ContentType::parse(&f.content_type)
                .map_err(|e| format!("the file `{}` has no usable type: {e}", f.name))?;
            let data = Body::new_with_encoding(f.data, ContentTransferEncoding::Base64)
                .map_err(|_| format!("the file `{}` could not be encoded", f.name))?;
            mixed = mixed.singlepart(Attachment::new(f.name).body(data, kind));
        }
        body = mixed;
    }
    b.multipart(body)
        .map_err(|e| format!("the message could not be built: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_composer_marks_become_html_and_everything_else_stays_text() {
        assert_eq!(
            html("Hola **Ana**, _gracias_.\nVea [el estado](https://example.com/t?a=1&b=2)"),
            "<div>Hola <strong>Ana</strong>, <em>gracias</em>.<br>\nVea <a href=\"https://example.com/t?a=1&amp;b=2\" rel=\"noopener noreferrer\">el estado</a></div>"
        );
        let hostile = html(
            "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) **<b>**",
        );
        assert!(!hostile.contains("<script"), "{hostile}");
        assert!(!hostile.contains("<img"), "{hostile}");
        assert!(!hostile.contains("href=\"javascript"), "{hostile}");
        assert!(hostile.contains("&lt;script&gt;"), "{hostile}");
        // A quote as the desktop writes it, and unmatched marks, come through as text.
        // A hostile line of brackets is read in linear time, and stays text.
        let brackets = "[".repeat(100_000) + "](https://x)";
        assert!(html(&brackets).starts_with("<div>[[[["));
        assert_eq!(
            html("> dijo **algo\nsnake_case_name"),
            "<div>&gt; dijo **algo<br>\nsnake_case_name</div>"
        );
    }
}
