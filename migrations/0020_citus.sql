-- Citus: on a cluster, every tenant table is distributed by county_code (all in one colocation group, so
-- a county's rows of every table sit in the same shard on the same worker and a county's queries and
-- transactions go to that one worker) and every other table is a reference table (copied to every node).
-- On plain PostgreSQL (no citus extension) this migration only creates the two helper functions below,
-- which then do nothing: the same migrations apply to both. docs/scaling.md has the rules later
-- migrations follow and why.
--
-- Every migration before this one ran on the coordinator against plain local tables (the citus extension
-- is there, no table is distributed yet), so they needed no care; this migration distributes them.
--
-- A tenant table is one whose primary key starts with county_code, except active_models: it holds one
-- row per county plus the system-wide '000000' row that every county falls back to, so a county's read
-- needs two rows of two counties; it is tiny and read on every recommendation: a reference table.

-- 0012's rollup triggers, rewritten so that every statement they run reads or writes one county, named by
-- a value (county_code = <variable>): on Citus the triggers run on the shards, and there a statement
-- touching a distributed table must be routable to one shard. The rows, sums and lock order are 0012's:
-- a county at a time (a statement changes one county's rows in practice), each in key order.
CREATE OR REPLACE FUNCTION enrolment_rollup_apply(changes jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    county text;
    mine jsonb;
    employed_ids uuid[];
    deltas jsonb;
    skills jsonb;
BEGIN
    FOR county IN SELECT DISTINCT x -> 'row' ->> 'county_code' FROM jsonb_array_elements(changes) x ORDER BY 1 LOOP
        SELECT jsonb_agg(x) INTO mine FROM jsonb_array_elements(changes) x WHERE x -> 'row' ->> 'county_code' = county;
        -- which of these enrolments have an employment record (one shard)
        SELECT coalesce(array_agg(DISTINCT em.enrolment_id), '{}') INTO employed_ids FROM employment em
        WHERE em.county_code = county
          AND em.enrolment_id = ANY (ARRAY(SELECT (x -> 'row' ->> 'id')::uuid FROM jsonb_array_elements(mine) x));

        WITH c AS (
            SELECT (x ->> 'sign')::integer AS sign, e.*
            FROM jsonb_array_elements(mine) x
            CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e),
        d AS (
            SELECT c.county_code,
                   extract(year FROM CASE WHEN c.status = 'completed' THEN c.completed_on ELSE c.starts_on END)::smallint
                       AS year,
                   extract(month FROM CASE WHEN c.status = 'completed' THEN c.completed_on ELSE c.starts_on END)::smallint
                       AS month,
                   c.session_id, c.village_code, c.lianghousheng, c.school_id, c.trade_code, c.ends_on,
                   sum(c.sign * (c.status = 'enrolled')::integer)::integer AS enrolled_now,
                   sum(c.sign * (c.status = 'waitlisted')::integer)::integer AS waitlisted_now,
                   sum(c.sign * (c.status = 'dropped')::integer)::integer AS dropped,
                   sum(c.sign * (c.status = 'completed')::integer)::integer AS completed,
                   sum(c.sign * (c.status = 'completed' AND c.passed IS TRUE)::integer)::integer AS passed,
                   sum(c.sign * (c.status = 'completed' AND c.certificate_no IS NOT NULL)::integer)::integer AS certified,
                   sum(c.sign * (c.status = 'completed' AND c.id = ANY (employed_ids))::integer)::integer AS employed
            FROM c WHERE c.status IN ('enrolled', 'waitlisted', 'dropped', 'completed')
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9)
        SELECT jsonb_agg(to_jsonb(d) ORDER BY d.year, d.month, d.session_id, d.village_code, d.lianghousheng)
        INTO deltas FROM d
        WHERE (enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed) <> (0, 0, 0, 0, 0, 0, 0);

        IF deltas IS NOT NULL THEN
            INSERT INTO enrolment_rollup_log (county_code, year, month, session_id, village_code, lianghousheng,
                                              school_id, trade_code, ends_on, enrolled_now, waitlisted_now, dropped,
                                              completed, passed, certified, employed)
            SELECT county, year, month, session_id, village_code, lianghousheng, school_id, trade_code, ends_on,
                   enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed
            FROM jsonb_populate_recordset(NULL::enrolment_rollup, deltas);

            INSERT INTO enrolment_rollup AS r (county_code, year, month, session_id, village_code, lianghousheng,
                                               school_id, trade_code, ends_on, enrolled_now, waitlisted_now, dropped,
                                               completed, passed, certified, employed)
            SELECT county, year, month, session_id, village_code, lianghousheng, school_id, trade_code, ends_on,
                   enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed
            FROM jsonb_populate_recordset(NULL::enrolment_rollup, deltas)
            ORDER BY year, month, session_id, village_code, lianghousheng
            ON CONFLICT (county_code, year, month, session_id, village_code, lianghousheng) DO UPDATE SET
                enrolled_now = r.enrolled_now + excluded.enrolled_now,
                waitlisted_now = r.waitlisted_now + excluded.waitlisted_now,
                dropped = r.dropped + excluded.dropped,
                completed = r.completed + excluded.completed,
                passed = r.passed + excluded.passed,
                certified = r.certified + excluded.certified,
                employed = r.employed + excluded.employed;
        END IF;

        WITH c AS (
            SELECT (x ->> 'sign')::integer AS sign, e.*
            FROM jsonb_array_elements(mine) x
            CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e
            WHERE e.status = 'completed'),
        d AS (
            SELECT county_code, extract(year FROM completed_on)::smallint AS year,
                   extract(month FROM completed_on)::smallint AS month, person_id, school_id, trade_code, household_id,
                   village_code, sum(sign)::integer AS n
            FROM c GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)
        INSERT INTO completion_people AS r (county_code, year, month, person_id, school_id, trade_code, household_id,
                                            village_code, completions)
        SELECT county, year, month, person_id, school_id, trade_code, household_id, village_code, n
        FROM d WHERE n <> 0 ORDER BY year, month, person_id, school_id, trade_code
        ON CONFLICT (county_code, year, month, person_id, school_id, trade_code)
            DO UPDATE SET completions = r.completions + excluded.completions;

        WITH c AS (
            SELECT (x ->> 'sign')::integer AS sign, e.*
            FROM jsonb_array_elements(mine) x
            CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e
            WHERE e.status = 'completed'),
        d AS (SELECT person_id, trade_code, sum(sign)::integer AS n FROM c GROUP BY 1, 2)
        INSERT INTO person_trades AS r (county_code, person_id, trade_code, completions)
        SELECT county, person_id, trade_code, n FROM d WHERE n <> 0 ORDER BY person_id, trade_code
        ON CONFLICT (county_code, person_id, trade_code) DO UPDATE SET completions = r.completions + excluded.completions;

        -- how many different trades each of these people has now (one shard), then their person_skills rows
        WITH c AS (
            SELECT e.person_id, min(e.household_id::text)::uuid AS household_id, min(e.village_code) AS village_code
            FROM jsonb_array_elements(mine) x
            CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e
            WHERE e.status = 'completed' GROUP BY 1)
        SELECT jsonb_agg(jsonb_build_object('person_id', c.person_id, 'household_id', c.household_id,
                                            'village_code', c.village_code) ORDER BY c.person_id)
        INTO skills FROM c;
        IF skills IS NOT NULL THEN
            INSERT INTO person_skills AS r (county_code, person_id, household_id, village_code, trades)
            SELECT county, s.person_id, s.household_id, s.village_code, coalesce(t.trades, 0)
            FROM jsonb_to_recordset(skills) AS s(person_id uuid, household_id uuid, village_code text)
            LEFT JOIN (SELECT person_id, count(*)::integer AS trades FROM person_trades
                       WHERE county_code = county AND completions > 0
                         AND person_id = ANY (ARRAY(SELECT (x ->> 'person_id')::uuid
                                                    FROM jsonb_array_elements(skills) x))
                       GROUP BY person_id) t ON t.person_id = s.person_id
            ORDER BY s.person_id
            ON CONFLICT (county_code, person_id) DO UPDATE SET trades = excluded.trades;
        END IF;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION employment_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    county text;
    ids uuid[];
    e enrolments;
    n integer;
    delta integer;
BEGIN
    FOR county IN SELECT DISTINCT county_code FROM changed ORDER BY 1 LOOP
        SELECT array_agg(DISTINCT enrolment_id) INTO ids FROM changed WHERE county_code = county;
        FOR e IN SELECT en.* FROM enrolments en WHERE en.county_code = county AND en.id = ANY (ids)
                 ORDER BY en.id FOR NO KEY UPDATE
        LOOP
            CONTINUE WHEN e.status <> 'completed';
            SELECT count(*) INTO n FROM employment em WHERE em.county_code = county AND em.enrolment_id = e.id;
            IF TG_OP = 'INSERT' THEN
                -- employed before this statement iff records existed besides the ones it added
                delta := CASE WHEN n > 0 AND n = (SELECT count(*) FROM changed c
                                                  WHERE c.county_code = county AND c.enrolment_id = e.id)
                              THEN 1 ELSE 0 END;
            ELSE
                delta := CASE WHEN n = 0 THEN -1 ELSE 0 END;
            END IF;
            CONTINUE WHEN delta = 0;
            UPDATE enrolment_rollup SET employed = employed + delta
            WHERE county_code = county AND year = extract(year FROM e.completed_on)
              AND month = extract(month FROM e.completed_on) AND session_id = e.session_id
              AND village_code = e.village_code AND lianghousheng = e.lianghousheng;
            INSERT INTO enrolment_rollup_log (county_code, year, month, session_id, village_code, lianghousheng,
                                              school_id, trade_code, ends_on, employed)
            VALUES (county, extract(year FROM e.completed_on), extract(month FROM e.completed_on), e.session_id,
                    e.village_code, e.lianghousheng, e.school_id, e.trade_code, e.ends_on, delta);
        END LOOP;
    END LOOP;
    RETURN NULL;
END $$;

-- 0013's distinct-count triggers, rewritten the same way: no data-changing CTE (Citus plans one of those
-- across shards), one row per statement, its county named by a value, so each statement goes to the
-- shard the trigger runs on. The rows, the log entries and the lock order (period, what, key) are 0013's.
CREATE OR REPLACE FUNCTION completion_people_distinct() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP <> 'INSERT' AND OLD.completions > 0;
    is_now boolean := TG_OP <> 'DELETE' AND NEW.completions > 0;
    r completion_people;
    delta integer;
    first integer;
    k record;
    refs integer;
    village text;
    status text;
BEGIN
    IF was = is_now THEN
        RETURN NULL;
    END IF;
    IF is_now THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
    -- a count changes when its references go 0 -> 1 or 1 -> 0
    first := CASE WHEN delta = 1 THEN 1 ELSE 0 END;

    FOR k IN
        SELECT p.period, x.what, x.key
        FROM unnest(progress_periods(r.month)) AS p(period)
        CROSS JOIN (VALUES ('persons:county', r.county_code),
                           ('persons:township', left(r.village_code, 9) || '000'),
                           ('persons:village', r.village_code), ('persons:trade', r.trade_code),
                           ('persons:school', r.school_id::text)) AS x(what, key)
        ORDER BY 1, 2, 3
    LOOP
        INSERT INTO person_period_refs AS f (county_code, year, period, what, key, person_id, refs)
        VALUES (r.county_code, r.year, k.period, k.what, k.key, r.person_id, delta)
        ON CONFLICT (county_code, year, period, what, key, person_id) DO UPDATE SET refs = f.refs + excluded.refs
        RETURNING f.refs INTO refs;
        IF refs = first THEN
            INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
            VALUES (r.county_code, r.year, k.period, k.what, k.key, '', delta);
        END IF;
    END LOOP;

    SELECT h.village_code, h.poverty_status INTO village, status
    FROM households h WHERE h.county_code = r.county_code AND h.id = r.household_id;
    FOR k IN SELECT p.period FROM unnest(progress_periods(r.month)) AS p(period) ORDER BY 1 LOOP
        INSERT INTO household_period_refs AS f (county_code, household_id, year, period, refs)
        VALUES (r.county_code, r.household_id, r.year, k.period, delta)
        ON CONFLICT (county_code, household_id, year, period) DO UPDATE SET refs = f.refs + excluded.refs
        RETURNING f.refs INTO refs;
        IF refs = first AND village IS NOT NULL THEN
            INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
            VALUES (r.county_code, r.year, k.period, 'covered', village, status, delta);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION person_skills_distinct() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP <> 'INSERT' AND OLD.trades >= 2;
    is_now boolean := TG_OP <> 'DELETE' AND NEW.trades >= 2;
    r person_skills;
    delta integer;
    members integer;
    village text;
    status text;
BEGIN
    IF was = is_now THEN
        RETURN NULL;
    END IF;
    IF is_now THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
    INSERT INTO household_skill_refs AS f (county_code, household_id, members)
    VALUES (r.county_code, r.household_id, delta)
    ON CONFLICT (county_code, household_id) DO UPDATE SET members = f.members + excluded.members
    RETURNING f.members INTO members;
    IF members = (CASE WHEN delta = 1 THEN 1 ELSE 0 END) THEN
        SELECT h.village_code, h.poverty_status INTO village, status
        FROM households h WHERE h.county_code = r.county_code AND h.id = r.household_id;
        IF village IS NOT NULL THEN
            INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
            VALUES (r.county_code, 0, 'ever', 'two_skills', village, status, delta);
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- A household at a time (moving village or status is rare), each statement on its county's shard.
CREATE OR REPLACE FUNCTION households_distinct_apply(moved jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    m record;
    f record;
BEGIN
    FOR m IN
        SELECT x ->> 'county_code' AS county_code, (x ->> 'id')::uuid AS id, x ->> 'village_code' AS village_code,
               x ->> 'poverty_status' AS poverty_status, (x ->> 'sign')::integer AS sign
        FROM jsonb_array_elements(moved) x
    LOOP
        FOR f IN SELECT h.year, h.period FROM household_period_refs h
                 WHERE h.county_code = m.county_code AND h.household_id = m.id AND h.refs > 0
        LOOP
            INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
            VALUES (m.county_code, f.year, f.period, 'covered', m.village_code, m.poverty_status, m.sign);
        END LOOP;
        IF EXISTS (SELECT FROM household_skill_refs h
                   WHERE h.county_code = m.county_code AND h.household_id = m.id AND h.members > 0) THEN
            INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
            VALUES (m.county_code, 0, 'ever', 'two_skills', m.village_code, m.poverty_status, m.sign);
        END IF;
    END LOOP;
END $$;

-- Distribute one tenant table by county_code, colocated with schools. Later migrations call it for a new
-- tenant table, created without foreign keys (added after this call).
CREATE FUNCTION distribute_tenant_table(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    IF tbl = 'schools'::regclass THEN
        PERFORM create_distributed_table(tbl, 'county_code', colocate_with => 'none');
    ELSE
        PERFORM create_distributed_table(tbl, 'county_code', colocate_with => 'schools');
    END IF;
END $$;

-- Make one table a reference table (a copy on every node). For a new table that every county shares.
CREATE FUNCTION make_reference_table(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM create_reference_table(tbl);
END $$;

-- Distributing in place: keys between the tables block every order (a reference table first turns the
-- tenant tables pointing at it into "Citus local" tables that can no longer be distributed; a tenant
-- table first fails on its keys to still-local tables). So: remember and drop every foreign key, make the
-- reference tables, distribute the tenant tables, add the keys back under their old names.
DO $$
DECLARE
    reference text[];
    tenant text[];
    keys record;
    saved text[][] := '{}';
    t text;
    had_rows boolean;
    emptied text[] := '{}';
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    -- Several DDL commands on distributed tables in one transaction: one connection per worker.
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    -- Triggers (the audit log's guard, the rollups) then run on the shards, next to the rows they keep.
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);

    SELECT array_agg(c.relname ORDER BY c.relname) FILTER (WHERE first_key.attname = 'county_code'
                                                               AND c.relname <> 'active_models'),
           array_agg(c.relname ORDER BY c.relname) FILTER (WHERE first_key.attname IS DISTINCT FROM 'county_code'
                                                               OR c.relname = 'active_models')
      INTO tenant, reference
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
      LEFT JOIN pg_attribute first_key ON first_key.attrelid = c.oid AND first_key.attnum = i.indkey[0]
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND NOT EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = c.oid);

    FOR keys IN
        SELECT con.conname, con.conrelid::regclass::text AS tbl, pg_get_constraintdef(con.oid) AS def
          FROM pg_constraint con
         WHERE con.contype = 'f'
           AND con.conrelid::regclass::text = ANY (tenant || reference)
         ORDER BY con.conrelid::regclass::text, con.conname
    LOOP
        saved := saved || ARRAY[ARRAY[keys.tbl, keys.conname, keys.def]];
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', keys.tbl, keys.conname);
    END LOOP;

    FOREACH t IN ARRAY coalesce(reference, '{}') LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %I)', t) INTO had_rows;
        PERFORM create_reference_table(t);
        IF had_rows THEN
            emptied := emptied || t;
        END IF;
    END LOOP;
    -- schools first: it starts the colocation group the others join.
    FOREACH t IN ARRAY array_prepend('schools', array_remove(tenant, 'schools')) LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %I)', t) INTO had_rows;
        PERFORM distribute_tenant_table(t);
        IF had_rows THEN
            emptied := emptied || t;
        END IF;
    END LOOP;

    -- The rows were copied into the shards; the coordinator's own (now hidden) copy goes. audit_log's
    -- guard refuses TRUNCATE, so an existing audit log keeps its hidden local copy (harmless).
    FOREACH t IN ARRAY emptied LOOP
        IF t <> 'audit_log' THEN
            PERFORM truncate_local_data_after_distributing_table(t);
        END IF;
    END LOOP;

    FOR i IN 1 .. coalesce(array_length(saved, 1), 0) LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', saved[i][1], saved[i][2], saved[i][3]);
    END LOOP;
END $$;
