-- The CRM frame's sandbox and delegated features, and the opt-in AGENT_STATUS relay
-- (see protocol::embed). Existing installations keep today's sandbox.
ALTER TABLE crm_settings ADD COLUMN agent_status_relay INTEGER NOT NULL DEFAULT 0;
ALTER TABLE crm_settings ADD COLUMN frame_sandbox TEXT NOT NULL
    DEFAULT '["allow-scripts","allow-forms","allow-same-origin","allow-popups","allow-downloads"]';
ALTER TABLE crm_settings ADD COLUMN frame_allow TEXT NOT NULL DEFAULT '[]';
