-- uContact's own call recordings (docs/reports.md, "Recordings"): the address of a
-- call's recording as a template (`{guid}`, `{date}`, `{yyyy}`, `{mm}`, `{dd}`), set on
-- /admin/crm; a uContact call gets its `segment_link` from it. NULL: none.
ALTER TABLE ucontact_settings ADD COLUMN recording_url TEXT;
