-- Logins (issue 10): the lockout counts wrong passwords per (typed name, client address) pair, so
-- guessing from one address locks that address out of the name, never the owner elsewhere; the name
-- as a whole is only slowed down (login_slowdowns: after TRAINING_LOGIN_SLOWDOWN_FAILURES failures from
-- anywhere, each attempt claims the next slot and waits a delay that doubles, up to a cap). Both are
-- keyed by the normalised name, known or not, so neither tells which names exist. No county: reference
-- tables under Citus.
ALTER TABLE login_failures ADD COLUMN client text NOT NULL DEFAULT '';
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_pkey PRIMARY KEY (username, client);

CREATE TABLE login_slowdowns (
    username        text        NOT NULL,
    failures        integer     NOT NULL,   -- failures from every address since the name was last quiet
    last_failed_at  timestamptz,
    not_before      timestamptz NOT NULL,   -- no attempt is checked before this
    claim           uuid        NOT NULL    -- the attempt that took the current slot
);
ALTER TABLE login_slowdowns ADD CONSTRAINT login_slowdowns_pkey PRIMARY KEY (username);
ALTER TABLE login_slowdowns ADD CONSTRAINT login_slowdowns_failures_nonnegative CHECK (failures >= 0);

-- The audit chain is keyed (issue 10): link n = HMAC-SHA256(chain key, link n-1 || row n), the chain
-- key derived from the data key, which the database does not hold; the head names the data key (its
-- 4-byte id) the county's chain is keyed with. The plain sha256 links of 0016 prove nothing against
-- someone who can write the database (they can be recomputed), so they are dropped here and the
-- service seals every row still kept into a keyed chain on its first pass (`training audit verify`
-- before upgrading checks the old chain one last time).
DELETE FROM audit_chain;
DELETE FROM audit_chain_heads;
ALTER TABLE audit_chain_heads ADD COLUMN key_id bytea NOT NULL;
