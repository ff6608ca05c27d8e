-- Indexes for the searches that exist, and the idempotency table's expiry.

-- Name and title searches are `LIKE '%…%'` (user input escaped): trigram GIN indexes serve them once
-- the query has three or more characters; a one- or two-character query still scans.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX people_name_trgm ON people USING gin (name gin_trgm_ops);
CREATE INDEX schools_name_trgm ON schools USING gin (name gin_trgm_ops);
CREATE INDEX courses_title_trgm ON courses USING gin (title gin_trgm_ops);
CREATE INDEX regions_name_trgm ON regions USING gin (name gin_trgm_ops);
CREATE INDEX trades_name_trgm ON trades USING gin (name gin_trgm_ops);
-- A trade is also found by its category and common names: one text of them all, '|'-separated
-- (array_to_string is only STABLE in general; for text[] it cannot change, so this wrapper may be indexed).
CREATE FUNCTION trade_terms(category text, aliases text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN category || '|' || array_to_string(aliases, '|');
CREATE INDEX trades_terms_trgm ON trades USING gin (trade_terms(category, aliases) gin_trgm_ops);

-- Stored answers expire (TRAINING_IDEMPOTENCY_TTL_HOURS): the prune looks them up by age.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
-- The request's fingerprint is known only once its body has streamed through to the app.
ALTER TABLE idempotency_keys ALTER COLUMN request_hash DROP NOT NULL;
