-- A merchant's attempts by time, for the dashboard's attempts-per-minute chart: the last hour's
-- attempts are one range of this index, whatever the size of the history.
CREATE INDEX attempts_by_time ON attempts (merchant, attempted_at);
