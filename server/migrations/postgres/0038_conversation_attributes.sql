-- Conversation attributes for reports (docs/reports.md, "Conversations by attribute"):
-- the rest of uContact Insights' conversation attributes and measures (the seed's
-- `conversations` object: standard ones, ten custom attributes, labels and measures),
-- and one row per activity and attribute, the activity's attributes merged over all its
-- interactions (segments of one conversation; a later value of a name wins), kept by
-- every write of an interaction's attributes in its own transaction and rebuilt by
-- `rebuild-reports`. `number` is the value of a numeric attribute (a measure), else NULL.
-- `channel` and `direction` are the activity's own (a report's dimensions), and
-- `conversation_id` is the interaction's, so none of them is an attribute here.
INSERT INTO attribute_defs (name, kind, scope) VALUES
    ('abandoned', 'text', 'conversation'),
    ('abandoned_phase', 'text', 'conversation'),
    ('activity', 'text', 'conversation'),
    ('campaign', 'text', 'conversation'),
    ('case', 'text', 'conversation'),
    ('content', 'text', 'conversation'),
    ('destination', 'text', 'conversation'),
    ('external_contact', 'text', 'conversation'),
    ('followed_by', 'text', 'conversation'),
    ('handling_department_id', 'text', 'conversation'),
    ('handling_department_name', 'text', 'conversation'),
    ('handling_department_name_in_hierarchy', 'text', 'conversation'),
    ('handling_team_id', 'text', 'conversation'),
    ('handling_team_name', 'text', 'conversation'),
    ('handling_team_name_in_hierarchy', 'text', 'conversation'),
    ('hang_up_by', 'text', 'conversation'),
    ('in_business_hours', 'text', 'conversation'),
    ('initiated_by', 'text', 'conversation'),
    ('initiative', 'text', 'conversation'),
    ('ivr_path', 'text', 'conversation'),
    ('language', 'text', 'conversation'),
    ('outcome', 'text', 'conversation'),
    ('preceded_by', 'text', 'conversation'),
    ('productive', 'text', 'conversation'),
    ('queue', 'text', 'conversation'),
    ('service_level', 'text', 'conversation'),
    ('source', 'text', 'conversation'),
    ('virtual', 'text', 'conversation'),
    ('workflow', 'text', 'conversation'),
    ('conversation_attribute_1', 'text', 'conversation'),
    ('conversation_attribute_2', 'text', 'conversation'),
    ('conversation_attribute_3', 'text', 'conversation'),
    ('conversation_attribute_4', 'text', 'conversation'),
    ('conversation_attribute_5', 'text', 'conversation'),
    ('conversation_attribute_6', 'text', 'conversation'),
    ('conversation_attribute_7', 'text', 'conversation'),
    ('conversation_attribute_8', 'text', 'conversation'),
    ('conversation_attribute_9', 'text', 'conversation'),
    ('conversation_attribute_10', 'text', 'conversation'),
    ('conversation_label_1', 'text', 'conversation'),
    ('conversation_label_2', 'text', 'conversation'),
    ('conversation_label_3', 'text', 'conversation'),
    ('conversation_label_4', 'text', 'conversation'),
    ('conversation_label_5', 'text', 'conversation'),
    ('conversation_label_6', 'text', 'conversation'),
    ('conversation_label_7', 'text', 'conversation'),
    ('conversation_label_8', 'text', 'conversation'),
    ('conversation_label_9', 'text', 'conversation'),
    ('conversation_label_10', 'text', 'conversation'),
    ('order', 'number', 'conversation'),
    ('activity_time', 'number', 'conversation'),
    ('average_response_time', 'number', 'conversation'),
    ('first_response_time', 'number', 'conversation'),
    ('focus_time', 'number', 'conversation'),
    ('hold_time', 'number', 'conversation'),
    ('ivr_time', 'number', 'conversation'),
    ('conversation_measure_1', 'number', 'conversation'),
    ('conversation_measure_2', 'number', 'conversation'),
    ('conversation_measure_3', 'number', 'conversation'),
    ('conversation_measure_4', 'number', 'conversation'),
    ('conversation_measure_5', 'number', 'conversation'),
    ('conversation_measure_6', 'number', 'conversation'),
    ('conversation_measure_7', 'number', 'conversation'),
    ('conversation_measure_8', 'number', 'conversation'),
    ('conversation_measure_9', 'number', 'conversation'),
    ('conversation_measure_10', 'number', 'conversation')
    ON CONFLICT (name) DO NOTHING;

CREATE TABLE conversation_attributes (
    activity_id  BIGINT NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    value        TEXT NOT NULL,
    number       DOUBLE PRECISION,
    PRIMARY KEY (activity_id, name)
);

-- What is already there, by the rule of `interaction_attributes::conversation`: every
-- interaction of an activity in order, a later value of a name winning, empty values
-- saying nothing; a measure's number only for a JSON number with an exponent of at most
-- two digits (`interaction_attributes::measure`); then a call's own campaign where no
-- interaction named one. NUL (`\u0000` in the JSON text) is removed, as the code does.
INSERT INTO conversation_attributes (activity_id, name, value, number)
SELECT DISTINCT ON (i.activity_id, j.key) i.activity_id, j.key, j.value,
       CASE WHEN d.kind = 'number'
                 AND btrim(j.value) ~ '^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,2})?$'
            THEN CAST(btrim(j.value) AS DOUBLE PRECISION) END
FROM interactions AS i
CROSS JOIN LATERAL jsonb_each_text(CAST(replace(i.attributes, '\u0000', '') AS jsonb)) AS j(key, value)
JOIN attribute_defs AS d ON d.name = j.key AND d.scope = 'conversation'
WHERE i.activity_id IS NOT NULL AND i.attributes <> '{}'
  AND j.value IS NOT NULL AND btrim(j.value) <> ''
ORDER BY i.activity_id, j.key, i.id DESC;

INSERT INTO conversation_attributes (activity_id, name, value, number)
SELECT id, 'campaign',
       substr(btrim(CAST(replace(detail, '\u0000', '') AS jsonb) ->> 'campaign', ' '), 1, 128), NULL
FROM activities
WHERE kind = 'call'
  AND btrim(COALESCE(CAST(replace(detail, '\u0000', '') AS jsonb) ->> 'campaign', ''), ' ') <> ''
ON CONFLICT (activity_id, name) DO NOTHING;
