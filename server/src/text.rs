//! Text normalisation shared by search and storage.

/// Lower-case and strip the accents of Latin letters, so `José` matches `jose`.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .collect::<String>()
        .trim()
        .to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
