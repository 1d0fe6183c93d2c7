//! Follow-ups as a zip archive, to move them between installations: one JSON file per
//! follow-up (`<name>.json`: the format, the spec with its secrets left out, and which
//! secrets need entering again). Reading an archive checks every file before anything
//! is created; the caller creates what it returns, inactive.

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};

use agentdesk_protocol::followup::{
    ExportedFollowUp, FOLLOWUP_FORMAT, FollowUpName, FollowUpSpec, ImportReport,
};

/// At most this many files in an archive, each at most this large once unpacked, and
/// this much in all (a small archive may unpack to gigabytes).
const MAX_FILES: usize = 500;
const MAX_FILE_BYTES: u64 = 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 16 * 1024 * 1024;

/// Why an archive, or a file in it, cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file in the archive (empty: the archive itself).
    pub file: String,
    /// The spec's field, when the rules refused one.
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    fn archive(message: impl Into<String>) -> Problem {
        Problem {
            file: String::new(),
            field: None,
            message: message.into(),
        }
    }

    fn file(file: &str, field: Option<String>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.file.as_str(), &self.field) {
            ("", _) => write!(f, "{}", self.message),
            (file, Some(field)) => write!(f, "{file}: {field}: {}", self.message),
            (file, None) => write!(f, "{file}: {}", self.message),
        }
    }
}

/// A file name for `name`: lower-case letters, digits and dashes.
fn file_name(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        slug = "followup".into();
    }
    let mut candidate = format!("{slug}.json");
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{slug}-{n}.json");
        n += 1;
    }
    candidate
}

/// The archive of `specs` (secrets left out).
pub fn write(specs: &[FollowUpSpec]) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let mut taken = BTreeSet::new();
    for spec in specs {
        let file = ExportedFollowUp {
            format: FOLLOWUP_FORMAT.into(),
            secrets_needed: spec.secret_fields(),
            spec: spec.without_secrets(),
        };
        zip.start_file(file_name(&spec.name, &mut taken), options)?;
        zip.write_all(&serde_json::to_vec_pretty(&file)?)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// The follow-ups of an archive, each checked by the rules (secrets may be missing), or
/// every problem found.
pub fn read(bytes: &[u8]) -> Result<Vec<FollowUpSpec>, Vec<Problem>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| vec![Problem::archive(format!("not a zip archive ({e})"))])?;
    if zip.len() > MAX_FILES {
        return Err(vec![Problem::archive(format!(
            "{} files: at most {MAX_FILES}",
            zip.len()
        ))]);
    }
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    let mut total = 0_u64;
    for i in 0..zip.len() {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::archive(format!(
                    "file {} cannot be read ({e})",
                    i + 1
                )));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let file = entry.name().to_string();
        if !file.ends_with(".json") {
            problems.push(Problem::file(&file, None, "not a .json file"));
            continue;
        }
        // The declared size may lie: read one byte past the limit to know.
        let mut text = Vec::new();
        let read = (&mut entry).take(MAX_FILE_BYTES + 1).read_to_end(&mut text);
        total += text.len() as u64;
        match read {
            Err(e) => {
                problems.push(Problem::file(
                    &file,
                    None,
                    format!("cannot be unpacked ({e})"),
                ));
                continue;
            }
            Ok(_) if text.len() as u64 > MAX_FILE_BYTES => {
                problems.push(Problem::file(&file, None, "larger than 1 MiB unpacked"));
                continue;
            }
            Ok(_) => {}
        }
        if total > MAX_TOTAL_BYTES {
            return Err(vec![Problem::archive("larger than 16 MiB unpacked")]);
        }
        let parsed: ExportedFollowUp = match serde_json::from_slice(&text) {
            Ok(p) => p,
            Err(e) => {
                problems.push(Problem::file(&file, None, format!("not a follow-up ({e})")));
                continue;
            }
        };
        if parsed.format != FOLLOWUP_FORMAT {
            problems.push(Problem::file(
                &file,
                Some("format".into()),
                format!("`{}` is not `{FOLLOWUP_FORMAT}`", parsed.format),
            ));
            continue;
        }
        let mut spec = parsed.spec;
        // Imported inactive: an admin enters the secrets and turns it on.
        spec.active = false;
        if let Err((field, why)) = spec.check() {
            problems.push(Problem::file(&file, Some(field), why));
            continue;
        }
        if !names.insert(spec.name.trim().to_lowercase()) {
            problems.push(Problem::file(
                &file,
                Some("name".into()),
                format!("`{}` is in the archive twice", spec.name.trim()),
            ));
            continue;
        }
        specs.push(spec);
    }
    if problems.is_empty() {
        Ok(specs)
    } else {
        Err(problems)
    }
}

/// Create the follow-ups `read` returned, inactive, in one transaction; a name already
/// taken (without case) is a conflict, reported and skipped. A failure midway (the
/// database, a name taken meanwhile by another import) creates none.
pub async fn create_all(
    store: &crate::store::DynStore,
    specs: Vec<FollowUpSpec>,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::store::StoreResult<ImportReport> {
    let (created, conflicts) = store.create_followups(&specs, now).await?;
    Ok(ImportReport {
        created: created
            .into_iter()
            .map(|(id, name)| FollowUpName { id, name })
            .collect(),
        conflicts,
    })
}
