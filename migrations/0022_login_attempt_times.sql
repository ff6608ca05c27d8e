-- When an address last tried a name: rows of login_failures are forgotten once their lockout window has
-- passed without an attempt (training.auth.service.prune_login_counts), so names typed by guessers from
-- many addresses do not pile up forever. A reference table on Citus (0020): a plain ADD COLUMN applies.
ALTER TABLE login_failures ADD COLUMN last_attempt_at timestamptz;
