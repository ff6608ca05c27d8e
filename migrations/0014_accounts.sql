-- Accounts (issue 10): a token version that a password change, a reset or a disable raises (tokens
-- carry the version they were issued under, so older tokens stop working), and the failed-login
-- counter behind the per-account lockout. The counter is keyed by the normalised username, not by the
-- account, so an unknown name locks exactly like a real one and the lockout never tells which exist.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD CONSTRAINT users_token_version_nonnegative CHECK (token_version >= 0);

CREATE TABLE login_failures (
    username      text NOT NULL,
    failures      integer NOT NULL,
    locked_until  timestamptz
);
ALTER TABLE login_failures ADD CONSTRAINT login_failures_pkey PRIMARY KEY (username);
ALTER TABLE login_failures ADD CONSTRAINT login_failures_failures_nonnegative CHECK (failures >= 0);
