-- The audit log's hash chain (one per county) and its retention.
--
-- Each audit row is sealed into its county's chain shortly after it commits (by the running service, and
-- by `training audit verify`): link n = sha256(link n-1 || the row's canonical bytes), in audit_chain
-- beside the row. Appending rows never waits on the chain; sealing takes the county's head row lock, so
-- concurrent sealers cannot fork it. `sealed_to` is the start of the oldest transaction that was still
-- running at the last seal: every row stamped earlier is sealed, so a later row is found by a short scan.
CREATE TABLE audit_chain (
    county_code text   NOT NULL,
    seq         bigint NOT NULL,
    audit_id    bigint NOT NULL,
    hash        bytea  NOT NULL
);
ALTER TABLE audit_chain ADD CONSTRAINT audit_chain_pkey PRIMARY KEY (county_code, seq);
ALTER TABLE audit_chain ADD CONSTRAINT audit_chain_audit_id_key UNIQUE (county_code, audit_id);

CREATE TABLE audit_chain_heads (
    county_code text        NOT NULL,
    seq         bigint      NOT NULL,          -- the last link (0: none yet)
    hash        bytea       NOT NULL,          -- the last link's hash (32 zero bytes before the first)
    sealed_to   timestamptz NOT NULL,
    first_seq   bigint      NOT NULL,          -- the first link kept (links before it went with retention)
    first_prev  bytea       NOT NULL           -- the hash the first kept link continues from
);
ALTER TABLE audit_chain_heads ADD CONSTRAINT audit_chain_heads_pkey PRIMARY KEY (county_code);

-- Still no UPDATE or TRUNCATE; DELETE only of rows older than six months (184 days, the longest six
-- calendar months), which is what retention removes: a younger row is refused whatever the setting says.
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '184 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
