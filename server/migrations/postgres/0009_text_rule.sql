-- One text rule (`protocol::text`) for contact keys, index terms and search words.
--
-- Index terms are now spelled in ASCII letters and digits only (`index_spelling`): in the
-- C locale PostgreSQL's parser splits words at any non-ASCII letter, and a split word
-- could carry another contact's heading. Every search entry is rebuilt by the search
-- backfill that runs after migrations (2,000 per transaction, resumable).
UPDATE activity_search SET terms = NULL;

-- Contact search keys are folded again by the same backfill.
UPDATE contacts SET search_key = '';
