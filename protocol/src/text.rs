//! The one text rule: how names, messages and search boxes become comparable words.
//!
//! Contact search keys, the timeline's search index, the words taken from a search box
//! and the client's highlighting all go through these functions, so what is stored and
//! what is asked for cannot disagree (they used to be three rules that did).
//!
//! - [`fold`]: lower case without diacritics (`Conexión` → `conexion`). Latin letters
//!   with marks are mapped by a table and combining marks are dropped, with no Unicode
//!   normalisation tables, so the browser bundle stays small.
//! - [`words`]: the runs of letters and digits of the folded text, cut to [`WORD_CHARS`].
//! - [`index_spelling`]: a word spelled with `0-9a-z` only, for the search engines'
//!   documents and queries. Each engine has its own idea of where a word ends (SQLite's
//!   `unicode61` splits at symbols such as `Ⓐ`, PostgreSQL's parser in the C locale at
//!   any non-ASCII letter), and a word they split could plant a term under another
//!   contact's heading or make a query fail. Spelled in ASCII letters and digits, a
//!   word is one token to both; the spelling keeps prefixes (the spelling of a prefix
//!   is a prefix of the word's spelling), so prefix search still works.

/// Words are cut at this many characters, in the index and in a search alike.
pub const WORD_CHARS: usize = 64;

/// At most this many words of a search box are used.
pub const SEARCH_WORDS: usize = 8;

/// Base letters of U+0100–U+017F (Latin Extended-A); `.` keeps the character.
const EXTENDED_A: &[u8; 128] = b"aaaaaaccccccccdd\
ddeeeeeeeeeegggg\
gggghhhhiiiiiiii\
ii..jjkk.lllllll\
lllnnnnnn...oooo\
oo..rrrrrrssssss\
ssttttttuuuuuuuu\
uuuuwwyyyzzzzzzs";

/// Combining marks (accents written as separate characters), dropped by [`fold`].
pub fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// One lower-case character without its diacritic.
fn base_letter(c: char) -> char {
    match c {
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        '\u{0100}'..='\u{017F}' => match EXTENDED_A[c as usize - 0x100] {
            b'.' => c,
            b => char::from(b),
        },
        _ => c,
    }
}

/// Lower case without diacritics: `  José ÑÚÑEZ ` → `jose nunez` (spaces kept as they
/// are; callers that compare whole strings trim).
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !is_mark(*c))
        .flat_map(char::to_lowercase)
        // Lower-casing can itself produce a mark (`İ` → `i` + U+0307).
        .filter(|c| !is_mark(*c))
        .map(base_letter)
        .collect()
}

/// Whether `c` belongs to a word. Marks do, so a decomposed accent never splits one.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_mark(c)
}

/// The folded words of `text`, in order, repeats included, each cut to [`WORD_CHARS`].
pub fn words(text: &str) -> impl Iterator<Item = String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(WORD_CHARS).collect::<String>())
        .collect::<Vec<_>>()
        .into_iter()
}

/// The words of a search box as every backend matches them (each a word prefix): the
/// first [`SEARCH_WORDS`] distinct ones. Never carries query syntax through.
pub fn search_words(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(q) {
        if out.len() == SEARCH_WORDS {
            break;
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// A folded word spelled with `0-9a-z` only (see the module docs): `a`–`y` and digits
/// stand for themselves, `z` is `zz`, any other character `z` + its code point in six
/// hex digits. No character's spelling is a prefix of another's, so spellings keep
/// prefixes and never collide.
pub fn index_spelling(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            'a'..='y' | '0'..='9' => out.push(c),
            'z' => out.push_str("zz"),
            other => {
                use std::fmt::Write;
                let _ = write!(out, "z{:06x}", u32::from(other));
            }
        }
    }
    out
}

/// Split `text` into (segment, is_match) runs for highlighting: a word matches when its
/// folded form starts with one of the search `words` (as [`search_words`] gives them).
pub fn highlight_runs(text: &str, words: &[String]) -> Vec<(String, bool)> {
    let mut runs: Vec<(String, bool)> = Vec::new();
    let mut push = |s: &str, m: bool| match runs.last_mut() {
        Some((prev, pm)) if *pm == m => prev.push_str(s),
        _ => runs.push((s.to_string(), m)),
    };
    let matches = |seg: &str| {
        let f = fold(seg);
        words.iter().any(|w| f.starts_with(w.as_str()))
    };
    let mut start = 0;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        let w = is_word_char(c);
        if w != in_word {
            if i > start {
                let seg = &text[start..i];
                push(seg, in_word && matches(seg));
            }
            start = i;
            in_word = w;
        }
    }
    if start < text.len() {
        let seg = &text[start..];
        push(seg, in_word && matches(seg));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_removes_case_and_accents_however_they_are_written() {
        assert_eq!(fold("José ÑÚÑEZ"), "jose nunez");
        // Decomposed: e + combining acute.
        assert_eq!(fold("Jose\u{301}"), "jose");
        assert_eq!(fold("Łódź Škoda Ÿves İstanbul"), "lodz skoda yves istanbul");
        assert_eq!(fold("Ⓐ"), "ⓐ");
        assert_eq!(fold("Straße"), "straße");
    }

    #[test]
    fn extended_a_table_maps_upper_and_lower_case_alike() {
        for c in '\u{0100}'..='\u{017F}' {
            let lower: String = fold(&c.to_string());
            // Every capital folds as its small letter does, when it has one.
            let small: String = c.to_lowercase().collect();
            assert_eq!(lower, fold(&small), "{c}");
        }
    }

    #[test]
    fn words_split_at_anything_but_letters_and_digits() {
        let w: Vec<String> = words("Factura #123-B: ¡Conexión!  e\u{301}xito").collect();
        assert_eq!(w, ["factura", "123", "b", "conexion", "exito"]);
        let long = "x".repeat(100);
        assert_eq!(words(&long).next().map(|w| w.len()), Some(WORD_CHARS));
    }

    #[test]
    fn search_words_never_carry_query_syntax_and_are_at_most_eight() {
        assert_eq!(
            search_words("Factura \"NEAR(x)\" AND -y*"),
            ["factura", "near", "x", "and", "y"]
        );
        assert!(search_words("  ** () \" ").is_empty());
        assert_eq!(search_words("Lucía lucia"), ["lucia"]);
        assert_eq!(search_words("a b c d e f g h i j").len(), SEARCH_WORDS);
    }

    #[test]
    fn index_spelling_is_ascii_keeps_prefixes_and_never_collides() {
        assert_eq!(index_spelling("factura42"), "factura42");
        assert_eq!(index_spelling("zona"), "zzona");
        assert_eq!(index_spelling("ⓐb"), "z0024d0b");
        let words = ["z", "zz", "ⓐ", "z0024d0", "日本", "日", "a"];
        for a in words {
            let s = index_spelling(a);
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            );
            for b in words {
                let t = index_spelling(b);
                assert_eq!(a == b, s == t, "{a} vs {b}");
                assert_eq!(b.starts_with(a), t.starts_with(&s), "{a} prefix of {b}");
            }
        }
    }

    #[test]
    fn highlighting_marks_words_that_start_with_a_search_word() {
        let runs = highlight_runs("Llamó Lucía: ventas, VENTANA y eventos", &["vent".into()]);
        let marked: Vec<&str> = runs
            .iter()
            .filter(|(_, m)| *m)
            .map(|(s, _)| s.as_str())
            .collect();
        assert_eq!(marked, ["ventas", "VENTANA"]);
        let all: String = runs.into_iter().map(|(s, _)| s).collect();
        assert_eq!(all, "Llamó Lucía: ventas, VENTANA y eventos");
        // A decomposed accent stays inside its word.
        let runs = highlight_runs("Luci\u{301}a", &["lucia".into()]);
        assert_eq!(runs, vec![("Luci\u{301}a".to_string(), true)]);
    }
}
