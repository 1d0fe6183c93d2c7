-- Call recordings (docs/reports.md, "Recordings"): the conversation attribute that
-- carries a recording's address (kept whole, an http(s) URL), and the origins
-- recordings may play from (CSP `media-src`), set with the CRM settings.
INSERT INTO attribute_defs (name, kind, scope) VALUES ('segment_link', 'text', 'conversation')
    ON CONFLICT (name) DO NOTHING;
ALTER TABLE crm_settings ADD COLUMN recording_origins TEXT NOT NULL DEFAULT '[]';
