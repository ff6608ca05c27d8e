-- Progress: yearly quotas, and the rollups that answer "where do we stand" without a scan per request.
--
-- Each figure is kept where its records are owned, in the same transaction as the records change:
--   * enrolment_rollup, completion_people (enrolment slice): kept by statement-level
--     triggers on enrolments and employment, so every writer (the one guarded transition, sign-up,
--     cancellation, employment, a backfill) moves them, and a rolled-back change moves nothing.
--   * household_counts (registry slice): target households by village, kept by triggers on households.
--   * quotas (progress slice).
-- Every rollup equals a recount of its own table's rows (tests/progress/test_rollups.py recounts them).
--
-- An enrolment now carries what it is counted under, fixed at sign-up, so a later edit elsewhere (a
-- course's trade, a household's village, a 两后生 window closing) cannot strand counts in a bucket
-- nobody subtracts from: the trade of the course, the person's household and village, and whether the
-- person was 两后生 on the day they signed up.

ALTER TABLE enrolments
    ADD COLUMN trade_code    text,
    ADD COLUMN household_id  uuid,
    ADD COLUMN village_code  text,
    ADD COLUMN lianghousheng boolean NOT NULL DEFAULT false;

UPDATE enrolments en SET trade_code = c.trade_code
FROM sessions se JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
WHERE se.county_code = en.county_code AND se.id = en.session_id;

-- 两后生 as of the sign-up day, with the default settings (3 years, working age 16-60 / 16-55).
UPDATE enrolments en SET household_id = p.household_id, village_code = h.village_code,
                         lianghousheng = coalesce(l.qualifies, false)
FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
CROSS JOIN LATERAL lianghousheng(h.poverty_status, p.education, p.in_school, p.left_school_year, p.birth_date,
                                 p.sex, (now() AT TIME ZONE 'Asia/Shanghai')::date, 3, 16, 60, 16, 55) l
WHERE p.county_code = en.county_code AND p.id = en.person_id;

ALTER TABLE enrolments
    ALTER COLUMN trade_code SET NOT NULL,
    ALTER COLUMN household_id SET NOT NULL,
    ALTER COLUMN village_code SET NOT NULL;

-- Filled in on insert by the database, so every writer (the repository, a test's or a loader's INSERT)
-- records them the same way.
CREATE FUNCTION enrolments_counted_under() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.trade_code IS NULL THEN
        SELECT c.trade_code INTO NEW.trade_code FROM sessions se
        JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
        WHERE se.county_code = NEW.county_code AND se.id = NEW.session_id;
    END IF;
    IF NEW.household_id IS NULL OR NEW.village_code IS NULL THEN
        SELECT p.household_id, h.village_code INTO NEW.household_id, NEW.village_code FROM people p
        JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
        WHERE p.county_code = NEW.county_code AND p.id = NEW.person_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER enrolments_counted_under BEFORE INSERT ON enrolments
    FOR EACH ROW EXECUTE FUNCTION enrolments_counted_under();

-- Counts of enrolments by the day they count on: enrolled_now / waitlisted_now / dropped on the
-- session's first day, completed / passed / certified / employed on the completion day. Keyed by
-- session so that every change of a bucket happens under that session's lock (every transition takes
-- it first): two transactions never wait on each other's buckets in opposite orders.
CREATE TABLE enrolment_rollup (
    county_code    text NOT NULL,
    year           smallint NOT NULL,
    month          smallint NOT NULL,
    session_id     uuid NOT NULL,
    village_code   text NOT NULL,
    lianghousheng  boolean NOT NULL,
    school_id      uuid NOT NULL,
    trade_code     text NOT NULL,
    ends_on        date NOT NULL,
    enrolled_now   integer NOT NULL DEFAULT 0,
    waitlisted_now integer NOT NULL DEFAULT 0,
    dropped        integer NOT NULL DEFAULT 0,
    completed      integer NOT NULL DEFAULT 0,
    passed         integer NOT NULL DEFAULT 0,
    certified      integer NOT NULL DEFAULT 0,
    employed       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (county_code, year, month, session_id, village_code, lianghousheng)
);
CREATE INDEX enrolment_rollup_ends ON enrolment_rollup (county_code, ends_on);
CREATE INDEX enrolment_rollup_open ON enrolment_rollup (county_code, ends_on) WHERE enrolled_now > 0;

-- Who completed, by month, school and trade of completion: distinct people (人 as against 人次) and
-- the households they belong to, for any grouping the progress page asks for.
CREATE TABLE completion_people (
    county_code  text NOT NULL,
    year         smallint NOT NULL,
    month        smallint NOT NULL,
    person_id    uuid NOT NULL,
    school_id    uuid NOT NULL,
    trade_code   text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    completions  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (county_code, year, month, person_id, school_id, trade_code)
);

-- The same changes, appended (never updated, so writers never wait on each other here), and folded
-- into three coarse rollups by month and village, trade and school: what a province-wide question
-- reads. A reader adds the rows not yet folded, so the answer is exact whenever the fold last ran.
CREATE TABLE enrolment_rollup_log (
    county_code    text NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    year           smallint NOT NULL,
    month          smallint NOT NULL,
    session_id     uuid NOT NULL,
    village_code   text NOT NULL,
    lianghousheng  boolean NOT NULL,
    school_id      uuid NOT NULL,
    trade_code     text NOT NULL,
    ends_on        date NOT NULL,
    enrolled_now   integer NOT NULL DEFAULT 0,
    waitlisted_now integer NOT NULL DEFAULT 0,
    dropped        integer NOT NULL DEFAULT 0,
    completed      integer NOT NULL DEFAULT 0,
    passed         integer NOT NULL DEFAULT 0,
    certified      integer NOT NULL DEFAULT 0,
    employed       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (county_code, id)
);

CREATE TABLE enrolment_rollup_coarse (
    county_code             text NOT NULL,
    year                    smallint NOT NULL,
    month                   smallint NOT NULL,
    dimension               text NOT NULL CHECK (dimension IN ('village', 'trade', 'school')),
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
    PRIMARY KEY (county_code, year, dimension, month, key)
);

-- One folder at a time (others skip: their readers add the log anyway). The log rows it deletes are the
-- committed ones its snapshot sees; rows of transactions still running are folded next time.
CREATE FUNCTION enrolment_rollup_fold() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('enrolment_rollup_fold')) THEN
        RETURN -1;
    END IF;
    WITH moved AS (DELETE FROM enrolment_rollup_log RETURNING *),
    keyed AS (
        SELECT m.*, x.dimension, x.key FROM moved m
        CROSS JOIN LATERAL (VALUES ('village', m.village_code), ('trade', m.trade_code),
                                   ('school', m.school_id::text)) AS x(dimension, key)),
    grouped AS (
        SELECT county_code, year, month, dimension, key,
               sum(enrolled_now)::integer AS enrolled_now, sum(waitlisted_now)::integer AS waitlisted_now,
               sum(dropped)::integer AS dropped, sum(completed)::integer AS completed,
               sum(passed)::integer AS passed, sum(certified)::integer AS certified,
               sum(employed)::integer AS employed,
               (sum(enrolled_now) FILTER (WHERE lianghousheng))::integer AS lianghousheng_enrolled,
               (sum(completed) FILTER (WHERE lianghousheng))::integer AS lianghousheng_completed
        FROM keyed GROUP BY 1, 2, 3, 4, 5),
    applied AS (
        INSERT INTO enrolment_rollup_coarse AS r
        SELECT county_code, year, month, dimension, key, enrolled_now, waitlisted_now, dropped, completed, passed,
               certified, employed, coalesce(lianghousheng_enrolled, 0), coalesce(lianghousheng_completed, 0)
        FROM grouped ORDER BY county_code, year, dimension, month, key
        ON CONFLICT (county_code, year, dimension, month, key) DO UPDATE SET
            enrolled_now = r.enrolled_now + excluded.enrolled_now,
            waitlisted_now = r.waitlisted_now + excluded.waitlisted_now,
            dropped = r.dropped + excluded.dropped, completed = r.completed + excluded.completed,
            passed = r.passed + excluded.passed, certified = r.certified + excluded.certified,
            employed = r.employed + excluded.employed,
            lianghousheng_enrolled = r.lianghousheng_enrolled + excluded.lianghousheng_enrolled,
            lianghousheng_completed = r.lianghousheng_completed + excluded.lianghousheng_completed
        RETURNING 1)
    SELECT count(*) INTO n FROM applied;
    RETURN n;
END $$;

-- Completions of each person in each trade, ever, and how many different trades each person has: the
-- households "with a member who has two different trades" without a scan of every completion.
CREATE TABLE person_trades (
    county_code  text NOT NULL,
    person_id    uuid NOT NULL,
    trade_code   text NOT NULL,
    completions  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (county_code, person_id, trade_code)
);
CREATE TABLE person_skills (
    county_code  text NOT NULL,
    person_id    uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    trades       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (county_code, person_id)
);
CREATE INDEX person_skills_two ON person_skills (county_code, village_code) WHERE trades >= 2;

-- What one enrolment row contributes, signed. Used with the transition tables of one statement:
-- minus the rows as they were, plus the rows as they are, summed per bucket and applied in key order.
CREATE FUNCTION enrolment_rollup_apply(changes jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH c AS (
        SELECT (x ->> 'sign')::integer AS sign, e.*
        FROM jsonb_array_elements(changes) x
        CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e),
    d AS (
        SELECT c.county_code,
               extract(year FROM CASE WHEN c.status = 'completed' THEN c.completed_on ELSE c.starts_on END)::smallint
                   AS year,
               extract(month FROM CASE WHEN c.status = 'completed' THEN c.completed_on ELSE c.starts_on END)::smallint
                   AS month,
               c.session_id, c.village_code, c.lianghousheng, c.school_id, c.trade_code, c.ends_on,
               sum(c.sign * (c.status = 'enrolled')::integer) AS enrolled_now,
               sum(c.sign * (c.status = 'waitlisted')::integer) AS waitlisted_now,
               sum(c.sign * (c.status = 'dropped')::integer) AS dropped,
               sum(c.sign * (c.status = 'completed')::integer) AS completed,
               sum(c.sign * (c.status = 'completed' AND c.passed IS TRUE)::integer) AS passed,
               sum(c.sign * (c.status = 'completed' AND c.certificate_no IS NOT NULL)::integer) AS certified,
               sum(c.sign * (c.status = 'completed' AND EXISTS (
                   SELECT 1 FROM employment em WHERE em.county_code = c.county_code AND em.enrolment_id = c.id
               ))::integer) AS employed
        FROM c WHERE c.status IN ('enrolled', 'waitlisted', 'dropped', 'completed')
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9)
    , nonzero AS (
        SELECT * FROM d
        WHERE (enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed) <> (0, 0, 0, 0, 0, 0, 0)),
    logged AS (INSERT INTO enrolment_rollup_log (county_code, year, month, session_id, village_code, lianghousheng,
                                                 school_id, trade_code, ends_on, enrolled_now, waitlisted_now, dropped,
                                                 completed, passed, certified, employed)
               SELECT * FROM nonzero)
    INSERT INTO enrolment_rollup AS r (county_code, year, month, session_id, village_code, lianghousheng, school_id,
                                       trade_code, ends_on, enrolled_now, waitlisted_now, dropped, completed, passed,
                                       certified, employed)
    SELECT * FROM nonzero
    ORDER BY county_code, year, month, session_id, village_code, lianghousheng
    ON CONFLICT (county_code, year, month, session_id, village_code, lianghousheng) DO UPDATE SET
        enrolled_now = r.enrolled_now + excluded.enrolled_now,
        waitlisted_now = r.waitlisted_now + excluded.waitlisted_now,
        dropped = r.dropped + excluded.dropped,
        completed = r.completed + excluded.completed,
        passed = r.passed + excluded.passed,
        certified = r.certified + excluded.certified,
        employed = r.employed + excluded.employed;

    WITH c AS (
        SELECT (x ->> 'sign')::integer AS sign, e.*
        FROM jsonb_array_elements(changes) x
        CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e
        WHERE e.status = 'completed'),
    d AS (
        SELECT county_code, extract(year FROM completed_on)::smallint AS year,
               extract(month FROM completed_on)::smallint AS month, person_id, school_id, trade_code, household_id,
               village_code, sum(sign)::integer AS n
        FROM c GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)
    INSERT INTO completion_people AS r (county_code, year, month, person_id, school_id, trade_code, household_id,
                                        village_code, completions)
    SELECT * FROM d WHERE n <> 0 ORDER BY county_code, year, month, person_id, school_id, trade_code
    ON CONFLICT (county_code, year, month, person_id, school_id, trade_code)
        DO UPDATE SET completions = r.completions + excluded.completions;

    WITH c AS (
        SELECT (x ->> 'sign')::integer AS sign, e.*
        FROM jsonb_array_elements(changes) x
        CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e
        WHERE e.status = 'completed'),
    d AS (SELECT county_code, person_id, trade_code, sum(sign)::integer AS n FROM c GROUP BY 1, 2, 3)
    INSERT INTO person_trades AS r (county_code, person_id, trade_code, completions)
    SELECT * FROM d WHERE n <> 0 ORDER BY county_code, person_id, trade_code
    ON CONFLICT (county_code, person_id, trade_code) DO UPDATE SET completions = r.completions + excluded.completions;

    WITH c AS (
        SELECT e.county_code, e.person_id, min(e.household_id::text)::uuid AS household_id,
               min(e.village_code) AS village_code
        FROM jsonb_array_elements(changes) x
        CROSS JOIN LATERAL jsonb_populate_record(NULL::enrolments, x -> 'row') e
        WHERE e.status = 'completed' GROUP BY 1, 2)
    INSERT INTO person_skills AS r (county_code, person_id, household_id, village_code, trades)
    SELECT c.county_code, c.person_id, c.household_id, c.village_code,
           (SELECT count(*) FROM person_trades t WHERE t.county_code = c.county_code AND t.person_id = c.person_id
              AND t.completions > 0)
    FROM c ORDER BY c.county_code, c.person_id
    ON CONFLICT (county_code, person_id) DO UPDATE SET trades = excluded.trades;
END $$;

CREATE FUNCTION enrolments_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM enrolment_rollup_apply(
        (SELECT coalesce(jsonb_agg(jsonb_build_object('sign', 1, 'row', to_jsonb(n))), '[]') FROM new_rows n));
    RETURN NULL;
END $$;

CREATE FUNCTION enrolments_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM enrolment_rollup_apply(
        (SELECT coalesce(jsonb_agg(x), '[]') FROM (
            SELECT jsonb_build_object('sign', -1, 'row', to_jsonb(o)) AS x FROM old_rows o
            UNION ALL
            SELECT jsonb_build_object('sign', 1, 'row', to_jsonb(n)) FROM new_rows n) s));
    RETURN NULL;
END $$;

CREATE FUNCTION enrolments_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM enrolment_rollup_apply(
        (SELECT coalesce(jsonb_agg(jsonb_build_object('sign', -1, 'row', to_jsonb(o))), '[]') FROM old_rows o));
    RETURN NULL;
END $$;

CREATE TRIGGER enrolments_rollup_insert AFTER INSERT ON enrolments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolments_rollup_insert();
CREATE TRIGGER enrolments_rollup_update AFTER UPDATE ON enrolments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolments_rollup_update();
CREATE TRIGGER enrolments_rollup_delete AFTER DELETE ON enrolments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolments_rollup_delete();

-- Employment: a completed enrolment counts as employed once, whatever the number of its records. The
-- enrolment row is locked first, so two records written at once for one enrolment (or a record and a
-- transition) take turns, and the count read after the lock sees the other's committed row.
CREATE FUNCTION employment_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e enrolments;
    n integer;
    delta integer;
BEGIN
    FOR e IN SELECT en.* FROM enrolments en
             WHERE (en.county_code, en.id) IN (SELECT county_code, enrolment_id FROM changed)
             ORDER BY en.county_code, en.id FOR NO KEY UPDATE
    LOOP
        CONTINUE WHEN e.status <> 'completed';
        SELECT count(*) INTO n FROM employment em WHERE em.county_code = e.county_code AND em.enrolment_id = e.id;
        IF TG_OP = 'INSERT' THEN
            -- employed before this statement iff records existed besides the ones it added
            delta := CASE WHEN n > 0 AND n = (SELECT count(*) FROM changed c
                                              WHERE c.county_code = e.county_code AND c.enrolment_id = e.id)
                          THEN 1 ELSE 0 END;
        ELSE
            delta := CASE WHEN n = 0 THEN -1 ELSE 0 END;
        END IF;
        CONTINUE WHEN delta = 0;
        UPDATE enrolment_rollup SET employed = employed + delta
        WHERE county_code = e.county_code AND year = extract(year FROM e.completed_on)
          AND month = extract(month FROM e.completed_on) AND session_id = e.session_id
          AND village_code = e.village_code AND lianghousheng = e.lianghousheng;
        INSERT INTO enrolment_rollup_log (county_code, year, month, session_id, village_code, lianghousheng, school_id,
                                          trade_code, ends_on, employed)
        VALUES (e.county_code, extract(year FROM e.completed_on), extract(month FROM e.completed_on), e.session_id,
                e.village_code, e.lianghousheng, e.school_id, e.trade_code, e.ends_on, delta);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER employment_rollup_insert AFTER INSERT ON employment
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION employment_rollup();
CREATE TRIGGER employment_rollup_delete AFTER DELETE ON employment
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION employment_rollup();

-- Build the enrolment rollups from the rows already there.
SELECT enrolment_rollup_apply(
    (SELECT coalesce(jsonb_agg(jsonb_build_object('sign', 1, 'row', to_jsonb(en))), '[]') FROM enrolments en));
SELECT enrolment_rollup_fold();

-- Registry: target households (建档立卡, 脱贫, 监测) by village and status.
CREATE TABLE household_counts (
    county_code    text NOT NULL,
    village_code   text NOT NULL,
    poverty_status text NOT NULL,
    households     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (county_code, village_code, poverty_status)
);

CREATE FUNCTION household_counts_apply(changes jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO household_counts AS r (county_code, village_code, poverty_status, households)
    SELECT x ->> 'county_code', x ->> 'village_code', x ->> 'poverty_status', sum((x ->> 'sign')::integer)
    FROM jsonb_array_elements(changes) x
    GROUP BY 1, 2, 3 HAVING sum((x ->> 'sign')::integer) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (county_code, village_code, poverty_status) DO UPDATE SET households = r.households + excluded.households
$$;

CREATE FUNCTION households_counts_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM household_counts_apply((SELECT coalesce(jsonb_agg(jsonb_build_object(
            'sign', 1, 'county_code', n.county_code, 'village_code', n.village_code, 'poverty_status', n.poverty_status)),
            '[]') FROM new_rows n));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM household_counts_apply((SELECT coalesce(jsonb_agg(jsonb_build_object(
            'sign', -1, 'county_code', o.county_code, 'village_code', o.village_code, 'poverty_status', o.poverty_status)),
            '[]') FROM old_rows o));
    ELSE
        PERFORM household_counts_apply((SELECT coalesce(jsonb_agg(x), '[]') FROM (
            SELECT jsonb_build_object('sign', -1, 'county_code', o.county_code, 'village_code', o.village_code,
                                      'poverty_status', o.poverty_status) AS x
            FROM old_rows o JOIN new_rows n ON n.county_code = o.county_code AND n.id = o.id
            WHERE (o.village_code, o.poverty_status) IS DISTINCT FROM (n.village_code, n.poverty_status)
            UNION ALL
            SELECT jsonb_build_object('sign', 1, 'county_code', n.county_code, 'village_code', n.village_code,
                                      'poverty_status', n.poverty_status)
            FROM old_rows o JOIN new_rows n ON n.county_code = o.county_code AND n.id = o.id
            WHERE (o.village_code, o.poverty_status) IS DISTINCT FROM (n.village_code, n.poverty_status)) s));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER households_counts_insert AFTER INSERT ON households
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION households_counts_trigger();
CREATE TRIGGER households_counts_update AFTER UPDATE ON households
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION households_counts_trigger();
CREATE TRIGGER households_counts_delete AFTER DELETE ON households
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION households_counts_trigger();

INSERT INTO household_counts (county_code, village_code, poverty_status, households)
SELECT county_code, village_code, poverty_status, count(*) FROM households GROUP BY 1, 2, 3;

-- Yearly quotas (指标) of a county, a township or a school.
CREATE TABLE quotas (
    county_code          text NOT NULL,
    year                 smallint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    unit                 text NOT NULL,   -- a 12-digit region code, or a school's id
    region_code          text REFERENCES regions (code),
    school_id            uuid,
    target_person_times  integer NOT NULL CHECK (target_person_times >= 0),
    target_persons       integer CHECK (target_persons >= 0),
    target_households    integer CHECK (target_households >= 0),
    target_lianghousheng integer CHECK (target_lianghousheng >= 0),
    updated_by           uuid,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, year, unit),
    FOREIGN KEY (county_code, school_id) REFERENCES schools (county_code, id),
    CHECK ((region_code IS NULL) <> (school_id IS NULL))
);
