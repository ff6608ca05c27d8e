-- Progress of whole counties and provinces from a few hundred rows per county, and a fix of the rollup
-- triggers for statements that change several enrolments of a session.
--
-- 1. enrolment_rollup is keyed by what an enrolment is counted under in full: its session, village and
--    两后生 flag as before, and now also its school, trade and last day. Until now these three were
--    carried but not in the key, so a statement whose rows differed in one of them (a session's last day
--    moved: `UPDATE enrolments SET ends_on = … WHERE session_id = …`, or rows signed up before and after a
--    date or trade change, then changed together) proposed two rows for one key: "ON CONFLICT DO UPDATE
--    command cannot affect row a second time"; and a single change merged into a bucket kept the bucket's
--    first last day, which the forecast reads. The rows are rebuilt from the records.
--
-- 2. enrolment_counts replaces enrolment_rollup_coarse: the same changes (enrolment_rollup_log, appended
--    by the triggers in the same transaction as every enrolment and employment change) folded by the
--    periods a report asks for (the year, each quarter, each month: progress_periods() of 0013) and by
--    county, township, village, trade and school, like distinct_counts. A county's year is ~110 rows
--    (1 county, ~10 townships, ~40 villages, ~30 trades, ~10 schools, and the 12 months of the county),
--    a province's the same per county; nothing is summed from villages or months at read time. The
--    coarse rollup had a row per village, trade and school for each month: ~1,000 a county's year.
--    enrolment_counts_by_end: places by the year of the session's last day (enrolled, completed,
--    dropped), what the forecast reads, which read every row of enrolment_rollup before.
--
--    Folded rather than written by the triggers: every sign-up of a county would otherwise update the
--    county's row of its year (a hot row held to commit), and a transaction of two statements touching
--    different months (a completion, then an employment record) would take the year's and the months'
--    rows in an order another transaction can reverse (deadlock). The log is append-only; readers add
--    the rows not folded yet, so every answer is exact whatever the fold has done.
--
-- Citus: the functions follow 0020's rules (one county per statement in the triggers, no now() in an
-- ON CONFLICT); the new tables are tenant tables, distributed by distribute_tenant_table() of 0020 (a
-- no-op without the citus extension).

-- On Citus: DDL and multi-shard writes in one transaction, one connection per worker (as 0020).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    END IF;
END $$;

ALTER TABLE enrolment_rollup DROP CONSTRAINT enrolment_rollup_pkey;
ALTER TABLE enrolment_rollup ADD CONSTRAINT enrolment_rollup_pkey
    PRIMARY KEY (county_code, year, month, session_id, village_code, lianghousheng, school_id, trade_code, ends_on);

-- 0020's enrolment_rollup_apply with the bucket's full key in ON CONFLICT and in the lock order.
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
        SELECT jsonb_agg(to_jsonb(d) ORDER BY d.year, d.month, d.session_id, d.village_code, d.lianghousheng,
                                              d.school_id, d.trade_code, d.ends_on)
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
            ORDER BY year, month, session_id, village_code, lianghousheng, school_id, trade_code, ends_on
            ON CONFLICT (county_code, year, month, session_id, village_code, lianghousheng, school_id, trade_code,
                         ends_on) DO UPDATE SET
                enrolled_now = r.enrolled_now + excluded.enrolled_now,
                waitlisted_now = r.waitlisted_now + excluded.waitlisted_now,
                dropped = r.dropped + excluded.dropped,
                completed = r.completed + excluded.completed,
                passed = r.passed + excluded.passed,
                certified = r.certified + excluded.certified,
                employed = r.employed + excluded.employed;
        END IF;

        -- completion_people is keyed by what its rows are grouped by except the household and village,
        -- which are a person's own (the same on every enrolment of the person: fixed at sign-up from the
        -- person's household); min() keeps one row per key even if they ever differed.
        WITH c AS (
            SELECT (x ->> 'sign')::integer AS sign, e.*
            FROM jsonb_array_elements(mine) x
            CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e
            WHERE e.status = 'completed'),
        d AS (
            SELECT county_code, extract(year FROM completed_on)::smallint AS year,
                   extract(month FROM completed_on)::smallint AS month, person_id, school_id, trade_code,
                   min(household_id::text)::uuid AS household_id, min(village_code) AS village_code,
                   sum(sign)::integer AS n
            FROM c GROUP BY 1, 2, 3, 4, 5, 6)
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

-- 0020's employment_rollup, matching the bucket by its full key.
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
              AND village_code = e.village_code AND lianghousheng = e.lianghousheng AND school_id = e.school_id
              AND trade_code = e.trade_code AND ends_on = e.ends_on;
            INSERT INTO enrolment_rollup_log (county_code, year, month, session_id, village_code, lianghousheng,
                                              school_id, trade_code, ends_on, employed)
            VALUES (county, extract(year FROM e.completed_on), extract(month FROM e.completed_on), e.session_id,
                    e.village_code, e.lianghousheng, e.school_id, e.trade_code, e.ends_on, delta);
        END LOOP;
    END LOOP;
    RETURN NULL;
END $$;

-- The buckets again, from the records (the same sums as enrolment_rollup_apply).
DELETE FROM enrolment_rollup;

INSERT INTO enrolment_rollup (county_code, year, month, session_id, village_code, lianghousheng, school_id, trade_code,
                              ends_on, enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed)
SELECT en.county_code,
       extract(year FROM CASE WHEN en.status = 'completed' THEN en.completed_on ELSE en.starts_on END)::smallint,
       extract(month FROM CASE WHEN en.status = 'completed' THEN en.completed_on ELSE en.starts_on END)::smallint,
       en.session_id, en.village_code, en.lianghousheng, en.school_id, en.trade_code, en.ends_on,
       count(*) FILTER (WHERE en.status = 'enrolled'),
       count(*) FILTER (WHERE en.status = 'waitlisted'),
       count(*) FILTER (WHERE en.status = 'dropped'),
       count(*) FILTER (WHERE en.status = 'completed'),
       count(*) FILTER (WHERE en.status = 'completed' AND en.passed),
       count(*) FILTER (WHERE en.status = 'completed' AND en.certificate_no IS NOT NULL),
       count(*) FILTER (WHERE en.status = 'completed' AND em.enrolment_id IS NOT NULL)
FROM enrolments en
LEFT JOIN (SELECT DISTINCT county_code, enrolment_id FROM employment) em
       ON em.county_code = en.county_code AND em.enrolment_id = en.id
WHERE en.status IN ('enrolled', 'waitlisted', 'dropped', 'completed')
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

-- what: county (key: the county code), township (its 12-digit code), village, trade, school (its id).
CREATE TABLE enrolment_counts (
    county_code             text NOT NULL,
    year                    smallint NOT NULL,
    period                  text NOT NULL,
    what                    text NOT NULL,
    key                     text NOT NULL,
    enrolled_now            integer NOT NULL DEFAULT 0,
    waitlisted_now          integer NOT NULL DEFAULT 0,
    dropped                 integer NOT NULL DEFAULT 0,
    completed               integer NOT NULL DEFAULT 0,
    passed                  integer NOT NULL DEFAULT 0,
    certified               integer NOT NULL DEFAULT 0,
    employed                integer NOT NULL DEFAULT 0,
    lianghousheng_enrolled  integer NOT NULL DEFAULT 0,
    lianghousheng_completed integer NOT NULL DEFAULT 0,
    CONSTRAINT enrolment_counts_pkey PRIMARY KEY (county_code, year, period, what, key)
);

-- Places by the year their session ends (its last day's year): the forecast's places still in progress
-- and each county's past completion rate.
CREATE TABLE enrolment_counts_by_end (
    county_code  text NOT NULL,
    ends_year    smallint NOT NULL,
    enrolled_now integer NOT NULL DEFAULT 0,
    completed    integer NOT NULL DEFAULT 0,
    dropped      integer NOT NULL DEFAULT 0,
    CONSTRAINT enrolment_counts_by_end_pkey PRIMARY KEY (county_code, ends_year)
);

SELECT distribute_tenant_table('enrolment_counts');
SELECT distribute_tenant_table('enrolment_counts_by_end');

-- The groups one log row (or one bucket of enrolment_rollup) counts under.
CREATE FUNCTION enrolment_count_keys(county_code text, village_code text, trade_code text, school_id uuid)
    RETURNS TABLE (what text, key text) LANGUAGE sql IMMUTABLE AS $$
    VALUES ('county', county_code), ('township', left(village_code, 9) || '000'), ('village', village_code),
           ('trade', trade_code), ('school', school_id::text)
$$;

-- One folder at a time (others skip: their readers add the log anyway). The log rows it deletes are the
-- committed ones its snapshot sees; rows of transactions still running are folded next time.
CREATE OR REPLACE FUNCTION enrolment_rollup_fold() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('enrolment_rollup_fold')) THEN
        RETURN -1;
    END IF;
    WITH moved AS (DELETE FROM enrolment_rollup_log RETURNING *),
    counted AS (
        INSERT INTO enrolment_counts AS r
        SELECT m.county_code, m.year, p.period, k.what, k.key,
               sum(m.enrolled_now), sum(m.waitlisted_now), sum(m.dropped), sum(m.completed), sum(m.passed),
               sum(m.certified), sum(m.employed),
               coalesce(sum(m.enrolled_now) FILTER (WHERE m.lianghousheng), 0),
               coalesce(sum(m.completed) FILTER (WHERE m.lianghousheng), 0)
        FROM moved m
        CROSS JOIN LATERAL unnest(progress_periods(m.month)) AS p(period)
        CROSS JOIN LATERAL enrolment_count_keys(m.county_code, m.village_code, m.trade_code, m.school_id) k
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (county_code, year, period, what, key) DO UPDATE SET
            enrolled_now = r.enrolled_now + excluded.enrolled_now,
            waitlisted_now = r.waitlisted_now + excluded.waitlisted_now,
            dropped = r.dropped + excluded.dropped, completed = r.completed + excluded.completed,
            passed = r.passed + excluded.passed, certified = r.certified + excluded.certified,
            employed = r.employed + excluded.employed,
            lianghousheng_enrolled = r.lianghousheng_enrolled + excluded.lianghousheng_enrolled,
            lianghousheng_completed = r.lianghousheng_completed + excluded.lianghousheng_completed
        RETURNING 1),
    ended AS (
        INSERT INTO enrolment_counts_by_end AS r
        SELECT county_code, extract(year FROM ends_on)::smallint, sum(enrolled_now), sum(completed), sum(dropped)
        FROM moved GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (county_code, ends_year) DO UPDATE SET
            enrolled_now = r.enrolled_now + excluded.enrolled_now, completed = r.completed + excluded.completed,
            dropped = r.dropped + excluded.dropped
        RETURNING 1)
    SELECT (SELECT count(*) FROM counted) + (SELECT count(*) FROM ended) INTO n;
    RETURN n;
END $$;

-- Built from the buckets (which hold every change, folded or not): the log is replaced by one row per
-- bucket and folded.
DELETE FROM enrolment_rollup_log;

INSERT INTO enrolment_rollup_log (county_code, year, month, session_id, village_code, lianghousheng, school_id,
                                  trade_code, ends_on, enrolled_now, waitlisted_now, dropped, completed, passed,
                                  certified, employed)
SELECT county_code, year, month, session_id, village_code, lianghousheng, school_id, trade_code, ends_on,
       enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed
FROM enrolment_rollup;

SELECT enrolment_rollup_fold();

DROP TABLE enrolment_rollup_coarse;
