-- Progress, the person- and household-grain figures kept up to date like the counts of 0012: distinct
-- people who completed (人), target households covered, and households with a member of two trades, by
-- the periods a report asks for (the year, each quarter, each month), so a county or province reads a
-- few hundred rows per county instead of counting distinct ids over every completion.
--
--   * person_period_refs: per person, period and group (county, township, village, trade, school),
--     how many completion_people rows with completions back it; household_period_refs: the same per
--     household and period; household_skill_refs: per household, members with two or more trades.
--     Kept by row triggers on completion_people and person_skills (which 0012's statement triggers on
--     enrolments and employment keep), so in the same transaction as the enrolment changes.
--   * When a reference count goes 0 -> 1 or 1 -> 0 the change is appended to distinct_counts_log (never
--     updated, so two writers never wait on each other there), with the household's current village and
--     poverty status for household figures; distinct_counts_fold() folds the log into distinct_counts.
--     A reader adds the rows not yet folded, so the answer is exact whenever the fold last ran.
--   * A household moving village or changing poverty status moves its covered / two-skill counts (a
--     statement trigger on households), so "covered target households" always counts by today's village
--     and status, like households_target.
-- Every figure equals a recount of the records (enrolment.service.rollup_differences).

-- The periods a month belongs to: the year, its quarter, itself.
CREATE FUNCTION progress_periods(month smallint) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['Y', 'Q' || ((month + 2) / 3), 'M' || month]
$$;

CREATE TABLE person_period_refs (
    county_code text NOT NULL,
    year        smallint NOT NULL,
    period      text NOT NULL,
    what        text NOT NULL,   -- county, township, village, trade or school
    key         text NOT NULL,
    person_id   uuid NOT NULL,
    refs        integer NOT NULL,
    PRIMARY KEY (county_code, year, period, what, key, person_id)
);

CREATE TABLE household_period_refs (
    county_code  text NOT NULL,
    year         smallint NOT NULL,
    period       text NOT NULL,
    household_id uuid NOT NULL,
    refs         integer NOT NULL,
    PRIMARY KEY (county_code, household_id, year, period)
);

CREATE TABLE household_skill_refs (
    county_code  text NOT NULL,
    household_id uuid NOT NULL,
    members      integer NOT NULL,
    PRIMARY KEY (county_code, household_id)
);

-- what: persons:county, persons:township, persons:village, persons:trade, persons:school (key: the
-- group, poverty_status ''), covered (key: village; by status), two_skills (year 0, period 'ever').
CREATE TABLE distinct_counts (
    county_code    text NOT NULL,
    year           smallint NOT NULL,
    period         text NOT NULL,
    what           text NOT NULL,
    key            text NOT NULL,
    poverty_status text NOT NULL,
    n              integer NOT NULL DEFAULT 0,
    PRIMARY KEY (county_code, year, period, what, key, poverty_status)
);

CREATE TABLE distinct_counts_log (
    county_code    text NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    year           smallint NOT NULL,
    period         text NOT NULL,
    what           text NOT NULL,
    key            text NOT NULL,
    poverty_status text NOT NULL,
    delta          integer NOT NULL,
    PRIMARY KEY (county_code, id)
);

CREATE FUNCTION completion_people_distinct() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP <> 'INSERT' AND OLD.completions > 0;
    is_now boolean := TG_OP <> 'DELETE' AND NEW.completions > 0;
    r completion_people;
    delta integer;
BEGIN
    IF was = is_now THEN
        RETURN NULL;
    END IF;
    IF is_now THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;

    WITH keys AS (
        SELECT p.period, x.what, x.key
        FROM unnest(progress_periods(r.month)) AS p(period)
        CROSS JOIN (VALUES ('persons:county', r.county_code),
                           ('persons:township', left(r.village_code, 9) || '000'),
                           ('persons:village', r.village_code), ('persons:trade', r.trade_code),
                           ('persons:school', r.school_id::text)) AS x(what, key)),
    changed AS (
        INSERT INTO person_period_refs AS f (county_code, year, period, what, key, person_id, refs)
        SELECT r.county_code, r.year, k.period, k.what, k.key, r.person_id, delta FROM keys k
        ORDER BY 3, 4, 5
        ON CONFLICT (county_code, year, period, what, key, person_id) DO UPDATE SET refs = f.refs + excluded.refs
        RETURNING f.period, f.what, f.key, f.refs)
    INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
    SELECT r.county_code, r.year, c.period, c.what, c.key, '', delta FROM changed c
    WHERE c.refs = (CASE WHEN delta = 1 THEN 1 ELSE 0 END);

    WITH changed AS (
        INSERT INTO household_period_refs AS f (county_code, household_id, year, period, refs)
        SELECT r.county_code, r.household_id, r.year, p.period, delta
        FROM unnest(progress_periods(r.month)) AS p(period) ORDER BY 4
        ON CONFLICT (county_code, household_id, year, period) DO UPDATE SET refs = f.refs + excluded.refs
        RETURNING f.period, f.refs)
    INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
    SELECT r.county_code, r.year, c.period, 'covered', h.village_code, h.poverty_status, delta
    FROM changed c JOIN households h ON h.county_code = r.county_code AND h.id = r.household_id
    WHERE c.refs = (CASE WHEN delta = 1 THEN 1 ELSE 0 END);
    RETURN NULL;
END $$;

CREATE TRIGGER completion_people_distinct AFTER INSERT OR UPDATE OR DELETE ON completion_people
    FOR EACH ROW EXECUTE FUNCTION completion_people_distinct();

CREATE FUNCTION person_skills_distinct() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP <> 'INSERT' AND OLD.trades >= 2;
    is_now boolean := TG_OP <> 'DELETE' AND NEW.trades >= 2;
    r person_skills;
    delta integer;
BEGIN
    IF was = is_now THEN
        RETURN NULL;
    END IF;
    IF is_now THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
    WITH changed AS (
        INSERT INTO household_skill_refs AS f (county_code, household_id, members)
        VALUES (r.county_code, r.household_id, delta)
        ON CONFLICT (county_code, household_id) DO UPDATE SET members = f.members + excluded.members
        RETURNING f.members)
    INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
    SELECT r.county_code, 0, 'ever', 'two_skills', h.village_code, h.poverty_status, delta
    FROM changed c JOIN households h ON h.county_code = r.county_code AND h.id = r.household_id
    WHERE c.members = (CASE WHEN delta = 1 THEN 1 ELSE 0 END);
    RETURN NULL;
END $$;

CREATE TRIGGER person_skills_distinct AFTER INSERT OR UPDATE OR DELETE ON person_skills
    FOR EACH ROW EXECUTE FUNCTION person_skills_distinct();

-- A household that moves village or changes status takes its covered and two-skill counts along.
CREATE FUNCTION households_distinct_apply(moved jsonb) RETURNS void LANGUAGE sql AS $$
    WITH m AS (
        SELECT x ->> 'county_code' AS county_code, (x ->> 'id')::uuid AS id, x ->> 'village_code' AS village_code,
               x ->> 'poverty_status' AS poverty_status, (x ->> 'sign')::integer AS sign
        FROM jsonb_array_elements(moved) x)
    INSERT INTO distinct_counts_log (county_code, year, period, what, key, poverty_status, delta)
    SELECT m.county_code, f.year, f.period, 'covered', m.village_code, m.poverty_status, m.sign
    FROM m JOIN household_period_refs f ON f.county_code = m.county_code AND f.household_id = m.id
    WHERE f.refs > 0
    UNION ALL
    SELECT m.county_code, 0, 'ever', 'two_skills', m.village_code, m.poverty_status, m.sign
    FROM m JOIN household_skill_refs f ON f.county_code = m.county_code AND f.household_id = m.id
    WHERE f.members > 0
$$;

CREATE FUNCTION households_distinct_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM households_distinct_apply((SELECT coalesce(jsonb_agg(jsonb_build_object(
            'sign', -1, 'county_code', o.county_code, 'id', o.id, 'village_code', o.village_code,
            'poverty_status', o.poverty_status)), '[]') FROM old_rows o));
    ELSE
        PERFORM households_distinct_apply((SELECT coalesce(jsonb_agg(x), '[]') FROM (
            SELECT jsonb_build_object('sign', -1, 'county_code', o.county_code, 'id', o.id,
                                      'village_code', o.village_code, 'poverty_status', o.poverty_status) AS x
            FROM old_rows o JOIN new_rows n ON n.county_code = o.county_code AND n.id = o.id
            WHERE (o.village_code, o.poverty_status) IS DISTINCT FROM (n.village_code, n.poverty_status)
            UNION ALL
            SELECT jsonb_build_object('sign', 1, 'county_code', n.county_code, 'id', n.id,
                                      'village_code', n.village_code, 'poverty_status', n.poverty_status)
            FROM old_rows o JOIN new_rows n ON n.county_code = o.county_code AND n.id = o.id
            WHERE (o.village_code, o.poverty_status) IS DISTINCT FROM (n.village_code, n.poverty_status)) s));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER households_distinct_update AFTER UPDATE ON households
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION households_distinct_trigger();
CREATE TRIGGER households_distinct_delete AFTER DELETE ON households
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION households_distinct_trigger();

-- One folder at a time (others skip: their readers add the log anyway), as enrolment_rollup_fold().
CREATE FUNCTION distinct_counts_fold() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('distinct_counts_fold')) THEN
        RETURN -1;
    END IF;
    WITH moved AS (DELETE FROM distinct_counts_log RETURNING *),
    grouped AS (
        SELECT county_code, year, period, what, key, poverty_status, sum(delta)::integer AS delta
        FROM moved GROUP BY 1, 2, 3, 4, 5, 6),
    applied AS (
        INSERT INTO distinct_counts AS r (county_code, year, period, what, key, poverty_status, n)
        SELECT * FROM grouped ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (county_code, year, period, what, key, poverty_status) DO UPDATE SET n = r.n + excluded.n
        RETURNING 1)
    SELECT count(*) INTO n FROM applied;
    RETURN n;
END $$;

-- Built from the rows already there (the triggers do the rest from now on).
INSERT INTO person_period_refs (county_code, year, period, what, key, person_id, refs)
SELECT c.county_code, c.year, p.period, x.what, x.key, c.person_id, count(*)
FROM completion_people c
CROSS JOIN LATERAL unnest(progress_periods(c.month)) AS p(period)
CROSS JOIN LATERAL (VALUES ('persons:county', c.county_code), ('persons:township', left(c.village_code, 9) || '000'),
                           ('persons:village', c.village_code), ('persons:trade', c.trade_code),
                           ('persons:school', c.school_id::text)) AS x(what, key)
WHERE c.completions > 0
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO household_period_refs (county_code, household_id, year, period, refs)
SELECT c.county_code, c.household_id, c.year, p.period, count(*)
FROM completion_people c CROSS JOIN LATERAL unnest(progress_periods(c.month)) AS p(period)
WHERE c.completions > 0
GROUP BY 1, 2, 3, 4;

INSERT INTO household_skill_refs (county_code, household_id, members)
SELECT county_code, household_id, count(*) FROM person_skills WHERE trades >= 2 GROUP BY 1, 2;

INSERT INTO distinct_counts (county_code, year, period, what, key, poverty_status, n)
SELECT county_code, year, period, what, key, '', count(*) FROM person_period_refs GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT f.county_code, f.year, f.period, 'covered', h.village_code, h.poverty_status, count(*)
FROM household_period_refs f JOIN households h ON h.county_code = f.county_code AND h.id = f.household_id
GROUP BY 1, 2, 3, 5, 6
UNION ALL
SELECT f.county_code, 0, 'ever', 'two_skills', h.village_code, h.poverty_status, count(*)
FROM household_skill_refs f JOIN households h ON h.county_code = f.county_code AND h.id = f.household_id
GROUP BY 1, 5, 6;
