-- The audit log viewer (docs/architecture.md, "Users") pages newest first by id and
-- filters by the acting user or the target: each an index, so a filtered page reads
-- its own rows, not the whole log.
CREATE INDEX audit_log_user ON audit_log(user_id, id);
CREATE INDEX audit_log_target ON audit_log(target, id);
