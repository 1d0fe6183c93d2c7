-- One text rule (`protocol::text`) for contact keys, index terms and search words.
--
-- Index terms are now spelled in ASCII letters and digits only (`index_spelling`): a word
-- holding a character SQLite's tokenizer treats as a separator (such as `Ⓐ`) used to be
-- split by FTS5 into several terms, one of which could carry another contact's heading.
-- Every activity is indexed again: the index is emptied here and the search backfill that
-- runs after migrations fills it (2,000 activities per transaction, resumable).
INSERT INTO timeline_terms(timeline_terms) VALUES ('delete-all');
DELETE FROM timeline_vocab;
UPDATE activities SET search_key = NULL;

-- Contact search keys are folded again by the same backfill (the rule now also folds
-- letters such as `å`, `ø`, `ł` and combining marks).
UPDATE contacts SET search_key = '';
