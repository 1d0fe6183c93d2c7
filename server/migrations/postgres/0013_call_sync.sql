-- A disposition's delivery to uContact's REST API (`DispositionCall`), as JSON
-- `{state: pending|sent|failed, reason, attempts}`; NULL when nothing is sent.
ALTER TABLE calls ADD COLUMN ucontact_sync TEXT;
