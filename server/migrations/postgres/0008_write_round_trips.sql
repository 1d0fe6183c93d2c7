-- Fewer round trips for writers (the event-log lock is held across them) and e-mail
-- addresses compared as SQLite compares them.

-- Append events under the event-log lock in one call: the lock first, then the rows
-- (ids drawn in array order) and one notification per row, which PostgreSQL sends when
-- (and only if) the transaction commits. A function because its statements run in
-- order: no id is drawn before the lock is held. The lock key and channel are the
-- application's (`postgres::WRITE_LOCK`, `EVENTS_CHANNEL`), passed in.
CREATE FUNCTION append_events(
    p_lock BIGINT, p_channel TEXT, p_teams BIGINT[], p_kinds TEXT[], p_payloads TEXT[],
    p_at BIGINT
) RETURNS SETOF BIGINT LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(p_teams) = 0 THEN
        RETURN;  -- nothing to append: no lock to take
    END IF;
    PERFORM pg_advisory_xact_lock(p_lock);
    RETURN QUERY
        WITH e AS (
            INSERT INTO events (team_id, kind, payload, at)
            SELECT u.t, u.k, u.p, p_at
            FROM unnest(p_teams, p_kinds, p_payloads) WITH ORDINALITY AS u(t, k, p, n)
            ORDER BY u.n
            RETURNING id)
        SELECT e.id FROM e CROSS JOIN LATERAL pg_notify(p_channel, e.id::text) AS n
        ORDER BY e.id;
END;
$$;

-- E-mail addresses match without ASCII case, exactly as SQLite's NOCASE and the
-- application's key locks fold them (`lower()` also folds other letters, by locale,
-- which neither does). This replaces the `lower(email)` comparison of 0001.
CREATE INDEX contacts_email_ascii ON contacts
    (team_id, translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'));
DROP INDEX contacts_email;
