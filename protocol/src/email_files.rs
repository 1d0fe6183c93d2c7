//! Files attached to an outbound e-mail (docs/email.md): what the composer and the
//! timeline read of them, and the rule for what may be attached — a file name that
//! saves on Windows, macOS and Linux as it reads and cannot pass for another type, a declared type that
//! is one and not a program's, content that is not a program whatever it is called.
//! The composer checks a file before it uploads it; the server checks it again with
//! its first bytes.

use serde::{Deserialize, Serialize};

/// Most files one message carries.
pub const MAX_FILES: usize = 20;
/// Longest file name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The total size of a message's files when the server is not told otherwise, in bytes.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 10 * 1024 * 1024;

/// A file of an outbound message (`GET /emails/{id}/attachments/{file_id}` downloads it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboundAttachment {
    pub id: i64,
    pub name: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
}

/// Why a program or a script is refused, whichever check finds it (its name, its type,
/// its first bytes): one text, so a client can say it in its own words.
pub const PROGRAM: &str = "programs and scripts cannot be sent by e-mail";

/// Extensions of programs and scripts, which the large mail providers refuse to carry
/// (and a customer should never get from a contact center).
const BLOCKED_EXTENSIONS: &[&str] = &[
    "ade",
    "adp",
    "apk",
    "appx",
    "appxbundle",
    "bat",
    "cab",
    "chm",
    "cmd",
    "com",
    "cpl",
    "diagcab",
    "diagcfg",
    "diagpkg",
    "dll",
    "dmg",
    "ex_",
    "exe",
    "hta",
    "img",
    "ins",
    "iso",
    "isp",
    "jar",
    "jnlp",
    "js",
    "jse",
    "lib",
    "lnk",
    "mde",
    "mjs",
    "msc",
    "msi",
    "msix",
    "msixbundle",
    "msp",
    "mst",
    "nsh",
    "pif",
    "ps1",
    "scr",
    "sct",
    "sh",
    "shb",
    "sys",
    "vb",
    "vbe",
    "vbs",
    "vhd",
    "vxd",
    "wsc",
    "wsf",
    "wsh",
    "xll",
];

/// Types that declare a program or a script.
const BLOCKED_TYPES: &[&str] = &[
    "application/hta",
    "application/java-archive",
    "application/javascript",
    "application/vnd.microsoft.portable-executable",
    "application/vnd.ms-cab-compressed",
    "application/x-apple-diskimage",
    "application/x-bat",
    "application/x-csh",
    "application/x-dosexec",
    "application/x-executable",
    "application/x-java-archive",
    "application/x-javascript",
    "application/x-ms-installer",
    "application/x-ms-shortcut",
    "application/x-msdos-program",
    "application/x-msdownload",
    "application/x-msi",
    "application/x-sh",
    "application/x-sharedlib",
    "text/javascript",
];

/// Characters no file name may hold: those Windows refuses in a name, path separators,
/// the direction marks that make `gpj.exe` read as `exe.jpg`, the invisible ones that
/// hide what follows them, and the replacement character (a name that was not text,
/// decoded with losses).
fn bad_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{FFFD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
        )
        || "/\\:*?\"<>|".contains(c)
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why `name` cannot be a file's name, if it cannot (it is taken trimmed of spaces).
pub fn name_problem(name: &str) -> Option<&'static str> {
    let name = name.trim();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        return Some("the file needs a name");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Some("the file name is longer than 200 characters");
    }
    if name.chars().any(bad_char) {
        return Some(
            "the file name holds a character files cannot have (/ \\ : * ? \" < > | or a control mark)",
        );
    }
    // Windows drops a trailing dot: `x.exe.` would open as `x.exe`.
    if name.ends_with('.') {
        return Some("the file name cannot end with a dot");
    }
    // Nor can a file there be called as a device, whatever its extension.
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit());
    if device {
        return Some("the file name is a device's on Windows (CON, NUL, COM1…)");
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if ext.is_some_and(|e| BLOCKED_EXTENSIONS.contains(&e.as_str())) {
        return Some(PROGRAM);
    }
    None
}

/// `content_type` as stored: its `type/subtype`, lower case, without parameters; an
/// empty one (a browser that does not know the file's type) is
/// `application/octet-stream`.
pub fn essence(content_type: &str) -> String {
    let t = content_type.split(';').next().unwrap_or("").trim();
    if t.is_empty() {
        "application/octet-stream".into()
    } else {
        t.to_ascii_lowercase()
    }
}

/// A token of HTTP's characters (RFC 9110 `tchar`: RFC 2045's, less `{` and `}`), which
/// every MIME parser on the way takes.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// Why `content_type` cannot be a file's declared type, if it cannot.
pub fn type_problem(content_type: &str) -> Option<&'static str> {
    let t = essence(content_type);
    let well_formed = t.len() <= 127
        && t.split_once('/')
            .is_some_and(|(a, b)| is_token(a) && is_token(b));
    if !well_formed {
        return Some("not a file type (type/subtype)");
    }
    if BLOCKED_TYPES.contains(&t.as_str()) {
        return Some(PROGRAM);
    }
    None
}

/// Whether `head` (a file's first bytes) starts a program: a Windows, Linux or macOS
/// executable, or a script with an interpreter line — whatever the file is called.
pub fn is_program(head: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[
        b"MZ",
        b"\x7fELF",
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
        b"#!",
    ];
    MAGIC.iter().any(|m| head.starts_with(m))
}

/// The first problem of a file to attach — its field (`name`, `content_type`, `file`)
/// and why — given its name, declared type and first bytes (`None`: not read yet).
pub fn problem(
    name: &str,
    content_type: &str,
    head: Option<&[u8]>,
) -> Option<(&'static str, &'static str)> {
    if let Some(p) = name_problem(name) {
        return Some(("name", p));
    }
    if let Some(p) = type_problem(content_type) {
        return Some(("content_type", p));
    }
    if head.is_some_and(is_program) {
        return Some(("file", PROGRAM));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass_and_hostile_ones_are_refused_with_their_reason() {
        for ok in [
            "Presupuesto año 2027.pdf",
            "factura (1).PDF",
            "foto.jpeg",
            "README",
            "archive.tar.gz",
            "  espacios.txt  ",
            "契約書.docx",
            "console.log",
            "COM10.txt",
            "null.txt",
        ] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "   ",
            ".",
            "..",
            "../../etc/passwd",
            "..\\boot.ini",
            "a/b.pdf",
            "C:evil.pdf",
            "name\r\nContent-Type: text/html.pdf",
            "nul\0.pdf",
            "tab\t.pdf",
            "quote\".pdf",
            "inv\u{202E}fdp.exe",
            "inv\u{2067}x.pdf",
            "\u{FFFD}\u{FFFD}.txt",
            "setup.exe\u{200B}",
            "inv\u{FEFF}oice.pdf",
            "CON",
            "nul.txt",
            "Com1.pdf",
            "lpt9.tar.gz",
            "invoice.pdf.exe",
            "INVOICE.EXE",
            "script.ps1",
            "setup.msi",
            "run.sh",
            "x.exe.",
            "report.pdf.",
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(name_problem(&"a".repeat(MAX_NAME_CHARS + 1)).is_some());
        assert_eq!(name_problem(&"ñ".repeat(MAX_NAME_CHARS)), None);
    }

    #[test]
    fn types_are_one_token_pair_and_never_a_program() {
        assert_eq!(essence("Application/PDF; name=x"), "application/pdf");
        assert_eq!(essence(""), "application/octet-stream");
        for ok in [
            "application/pdf",
            "image/png",
            "",
            "text/plain; charset=utf-8",
        ] {
            assert_eq!(type_problem(ok), None, "{ok}");
        }
        for bad in [
            "pdf",
            "application/",
            "/pdf",
            "text/plain\r\nBcc: x@evil.test",
            "text/ plain",
            "a/b/c",
            "application/x-msdownload",
            "Text/JavaScript",
            "application/x-sh; charset=utf-8",
            "text/x{y}",
            "image/png@x",
        ] {
            assert!(type_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn a_program_is_refused_whatever_its_name_and_type() {
        assert!(is_program(b"MZ\x90\x00"));
        assert!(is_program(b"\x7fELF\x02"));
        assert!(is_program(b"#!/bin/sh\nrm -rf /"));
        assert!(!is_program(b"%PDF-1.7"));
        assert!(!is_program(b""));
        assert_eq!(
            problem("foto.jpg", "image/jpeg", Some(b"MZ\x90")),
            Some(("file", "programs and scripts cannot be sent by e-mail"))
        );
        assert_eq!(
            problem("foto.jpg", "image/jpeg", Some(b"\xff\xd8\xff")),
            None
        );
        assert_eq!(problem("x.exe", "bad", None).map(|p| p.0), Some("name"));
        assert_eq!(
            problem("x.png", "bad", None).map(|p| p.0),
            Some("content_type")
        );
    }
}
