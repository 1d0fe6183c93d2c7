-- Search that answers in milliseconds at any history size.
--
-- The first search index AND-ed a per-contact token with the words, so counting the
-- matches of a common word in a 200,000-activity history meant intersecting two posting
-- lists of hundreds of thousands of entries, and the matches then had to be sorted by
-- time. Now every indexed word is one term per (contact, team, kind) — for example
-- `42t3cfactura` is "factura" in a call of contact 42 visible to team 3 — so:
--   * a search reads only the posting lists of the viewer's contact, visible teams and
--     chosen kinds (scoping and the kind filter are part of the index lookup), and the
--     match count is the length of those lists, with no intersection against the
--     contact's whole history;
--   * the row id of an entry is the activity's `search_key`, which sorts like
--     (occurred_at, id), so the newest ten matches are the first ten the index yields
--     (`ORDER BY rowid DESC LIMIT 10`), with no sort of all matches.
-- `detail=none` keeps only row ids in the posting lists (no positions: the search is
-- word-prefix AND, never phrases).

-- occurred_at (ms, clamped to ±2^42) × 2^21 + the activity's rank among those of the
-- same millisecond (ids ascending). Filled by the application: for existing rows by the
-- backfill that runs after migrations, for new rows at insert.
ALTER TABLE activities ADD COLUMN search_key INTEGER;
CREATE UNIQUE INDEX activities_search_key ON activities(search_key);

DROP TABLE activity_search;
CREATE VIRTUAL TABLE timeline_terms USING fts5(
    terms,
    content = '', contentless_delete = 1, detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Every term ever indexed, so that a search word's prefix becomes the exact terms it
-- stands for (FTS5 streams an OR of exact terms newest first and stops after ten; a
-- prefix query first merges every matching posting list). Terms of deleted activities
-- stay: they only cost an empty lookup.
CREATE TABLE timeline_vocab (term TEXT PRIMARY KEY) WITHOUT ROWID;

-- Whatever deletes an activity (the API, a contact's cascade) takes its entry along.
CREATE TRIGGER activities_unindexed AFTER DELETE ON activities
WHEN OLD.search_key IS NOT NULL BEGIN
    DELETE FROM timeline_terms WHERE rowid = OLD.search_key;
END;
