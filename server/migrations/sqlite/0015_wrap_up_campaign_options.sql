-- After-call work as a status of its own, and a campaign's options (the teams it is open
-- to, the wrap-up form's d1/d2 labels) as JSON (protocol::dial::CampaignOptions).
INSERT INTO status_values (value, label_es, label_en, color, system, position) VALUES
    ('wrap-up', 'Tipificando', 'Wrap-up', '#0e7490', 1, 58)
    ON CONFLICT (value) DO NOTHING;
ALTER TABLE campaigns ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
