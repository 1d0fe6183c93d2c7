-- Search that does not scan other histories: as on SQLite (see the SQLite migration of
-- the same number), every word is indexed once per (contact, team, kind) as one lexeme,
-- `{contact}t{team}{k}{word}`, so the GIN lookup of a search returns only the matches in
-- the viewer's contact, visible teams and chosen kinds — no filtering of every history's
-- matches by contact afterwards — and `occurred_at` rides along so the newest matches
-- are sorted without touching `activities`. GIN matches `word:*` prefixes natively.
ALTER TABLE activity_search ADD COLUMN occurred_at BIGINT;
ALTER TABLE activity_search ADD COLUMN terms TSVECTOR;
ALTER TABLE activity_search DROP COLUMN doc;
-- Rows still to be filled by the backfill that runs after migrations.
UPDATE activity_search s SET occurred_at = a.occurred_at FROM activities a WHERE a.id = s.activity_id;
CREATE INDEX activity_search_unindexed ON activity_search (activity_id) WHERE terms IS NULL;
CREATE INDEX activity_search_terms ON activity_search USING GIN (terms);
-- Activities written before this migration that never had an entry get one too.
INSERT INTO activity_search (activity_id, contact_id, occurred_at)
    SELECT a.id, a.contact_id, a.occurred_at FROM activities a
    WHERE NOT EXISTS (SELECT 1 FROM activity_search s WHERE s.activity_id = a.id);
ALTER TABLE activity_search ALTER COLUMN occurred_at SET NOT NULL;
