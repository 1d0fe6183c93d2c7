//! Text normalisation shared by search and storage.

/// Lower case without diacritics, trimmed: the one text rule of `protocol`, as contact
/// search keys and the contact search box use it.
pub fn fold(s: &str) -> String {
    agentdesk_protocol::text::fold(s).trim().to_string()
}

/// A contact's search key: its name and e-mail folded, which the contact search box's
/// folded text is looked for in.
pub fn contact_key(name: &str, email: Option<&str>) -> String {
    fold(&format!("{name} {}", email.unwrap_or("")))
}

/// The digits a contact search looks for inside stored (E.164) numbers: the query's
/// digits without leading zeros, so a number typed as people write it at home
/// (`092 675 571`, trunk prefix `0`) or with the international prefix (`00598…`) finds
/// `+59892675571`. `None` below three digits (too many matches to mean a number).
pub fn phone_search_digits(query: &str) -> Option<String> {
    let digits: String = query.chars().filter(char::is_ascii_digit).collect();
    Some(digits.trim_start_matches('0').to_owned()).filter(|d| d.len() >= 3)
}

/// Normalise a phone number to E.164 (`+59899123456`), reading numbers without a
/// country code in `region` (ISO 3166 alpha-2). `None` when it is no valid number.
pub fn normalize_phone(raw: &str, region: &str) -> Option<String> {
    let region = region.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(region, raw).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// Values are checked on the way in, but quote anything CSV-special anyway, and defuse
/// spreadsheet formulas.
pub fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// `s` safe inside HTML text and quoted attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_searches_drop_trunk_and_international_prefixes() {
        assert_eq!(
            phone_search_digits("092 675 571").as_deref(),
            Some("92675571")
        );
        assert_eq!(
            phone_search_digits("00598 92 675 571").as_deref(),
            Some("59892675571")
        );
        assert_eq!(phone_search_digits("+598 92").as_deref(), Some("59892"));
        assert_eq!(phone_search_digits("Lucía"), None);
        assert_eq!(phone_search_digits("0012"), None);
        assert_eq!(phone_search_digits("a1b2"), None);
    }

    #[test]
    fn fold_removes_case_and_accents() {
        assert_eq!(fold("  José Ñúñez "), "jose nunez");
    }

    #[test]
    fn phones_are_normalised_to_e164_in_the_default_region() {
        assert_eq!(
            normalize_phone("099 123 456", "UY").as_deref(),
            Some("+59899123456")
        );
        assert_eq!(
            normalize_phone("+34 612 34 56 78", "UY").as_deref(),
            Some("+34612345678")
        );
        assert_eq!(normalize_phone("not a phone", "UY"), None);
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("busy"), "busy");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
