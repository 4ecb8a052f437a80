-- Registry watches: the outcome of the last poll (shown by GET /api/v1/watches).
ALTER TABLE watches ADD COLUMN last_error TEXT;
ALTER TABLE watches ADD COLUMN last_tags BIGINT;
