-- Accounts are a reference table, and on Citus a reference table cannot point at a distributed one:
-- a school account's school is checked by the service instead of by a foreign key.
ALTER TABLE users DROP CONSTRAINT users_county_code_school_id_fkey;

-- The registry: households, their members and the training needs surveyed door to door (培训台账).
--
-- ID numbers and phones are stored encrypted (AES-GCM, *_enc) with a keyed hash (*_hash) to find
-- them and a masked copy (*_masked: first 3 + last 4) to show; the plain value is never stored.

CREATE TABLE households (
    county_code    text NOT NULL,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    village_code   text NOT NULL REFERENCES regions (code),
    household_no   text,                 -- 户编号 as the ledger numbers it
    head_name      text NOT NULL,
    phone_enc      bytea,
    phone_masked   text,
    poverty_status text NOT NULL CHECK (poverty_status IN ('registered_poor', 'lifted', 'monitored', 'ordinary')),
    lifted_year    smallint CHECK (lifted_year BETWEEN 2013 AND 2100),
    monitor_type   text CHECK (monitor_type IN ('unstable', 'marginal', 'sudden_hardship')),
    risk_removed   boolean,
    poverty_causes text[] NOT NULL DEFAULT '{}',
    client_id      uuid,                 -- the id a device made for it (offline sync)
    version        integer NOT NULL DEFAULT 1,
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    CHECK (left(village_code, 6) = county_code)
);
CREATE UNIQUE INDEX households_number ON households (county_code, household_no) WHERE household_no IS NOT NULL;
CREATE UNIQUE INDEX households_client ON households (county_code, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX households_village ON households (county_code, village_code);

CREATE TABLE people (
    county_code       text NOT NULL,
    id                uuid NOT NULL DEFAULT gen_random_uuid(),
    household_id      uuid NOT NULL,
    name              text NOT NULL,
    id_hash           bytea NOT NULL,
    id_enc            bytea NOT NULL,
    id_masked         text NOT NULL,
    birth_date        date NOT NULL,
    sex               text NOT NULL CHECK (sex IN ('male', 'female')),
    relation          text NOT NULL,
    ethnicity         text,
    education         text NOT NULL REFERENCES education_levels (code),
    in_school         boolean NOT NULL DEFAULT false,
    left_school_year  smallint CHECK (left_school_year BETWEEN 1940 AND 2100),
    labour_capacity   text NOT NULL CHECK (labour_capacity IN ('full', 'weak', 'lost', 'none')),
    disability        text,
    work_status       text NOT NULL CHECK (work_status IN ('farming', 'local_work', 'migrant', 'unemployed', 'student')),
    phone_enc         bytea,
    phone_hash        bytea,
    phone_masked      text,
    skills            text[] NOT NULL DEFAULT '{}',
    client_id         uuid,
    version           integer NOT NULL DEFAULT 1,
    created_by        uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, household_id) REFERENCES households (county_code, id),
    -- The same ID number twice in a county is one person.
    UNIQUE (county_code, id_hash)
);
CREATE UNIQUE INDEX people_client ON people (county_code, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX people_household ON people (county_code, household_id);
CREATE INDEX people_near_duplicates ON people (county_code, name, birth_date);

CREATE TABLE surveys (
    county_code       text NOT NULL,
    id                uuid NOT NULL DEFAULT gen_random_uuid(),
    person_id         uuid NOT NULL,
    surveyed_on       date NOT NULL,
    desired_trades    text[] NOT NULL DEFAULT '{}' CHECK (cardinality(desired_trades) <= 3),
    training_kind     text CHECK (training_kind IN ('long', 'short', 'entrepreneurship', 'practical')),
    available_months  smallint[] NOT NULL DEFAULT '{}',
    max_travel_km     smallint CHECK (max_travel_km BETWEEN 0 AND 2000),
    can_board         boolean,
    wants_certificate boolean,
    wants_job         boolean,
    notes             text,
    surveyor_id       uuid,
    surveyor_name     text,
    client_id         uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, person_id) REFERENCES people (county_code, id)
);
CREATE INDEX surveys_person ON surveys (county_code, person_id, surveyed_on DESC, created_at DESC);
CREATE UNIQUE INDEX surveys_client ON surveys (county_code, client_id) WHERE client_id IS NOT NULL;

-- 两后生, derived, never typed: a child of a registered-poor, lifted or monitored household who
-- finished (or left) 初中 or 高中, is not in school, left within `max_years`, and is of working age.
-- Returns (qualifies, reason) so the rule lives in one place for lists, filters and records.
CREATE FUNCTION lianghousheng(
    poverty_status text, education text, in_school boolean, left_school_year smallint, birth_date date,
    sex text, as_of date, max_years integer, male_min integer, male_max integer, female_min integer,
    female_max integer, OUT qualifies boolean, OUT reason text
) LANGUAGE sql STABLE AS $$
    SELECT q, r FROM (
        SELECT
            CASE
                WHEN poverty_status NOT IN ('registered_poor', 'lifted', 'monitored') THEN '家庭不是建档立卡、脱贫或监测户'
                WHEN education NOT IN ('71', '73', '61', '62', '63') THEN '文化程度不是初中或高中毕业（肄业）'
                WHEN in_school THEN '仍在校'
                WHEN left_school_year IS NULL THEN '未填离校年份'
                WHEN extract(year FROM as_of) - left_school_year > max_years THEN
                    '离校已超过 ' || max_years || ' 年'
                WHEN extract(year FROM as_of) - left_school_year < 0 THEN '离校年份在今年之后'
                WHEN age_years < (CASE WHEN sex = 'male' THEN male_min ELSE female_min END)
                  OR age_years > (CASE WHEN sex = 'male' THEN male_max ELSE female_max END) THEN
                    '年龄 ' || age_years || ' 岁，不在劳动年龄内'
            END AS failure,
            age_years
        FROM (SELECT extract(year FROM age(as_of, birth_date))::integer AS age_years) a
    ) f, LATERAL (SELECT f.failure IS NULL AS q,
                         coalesce(f.failure,
                                  (CASE poverty_status WHEN 'registered_poor' THEN '建档立卡贫困户'
                                                       WHEN 'lifted' THEN '脱贫户' ELSE '监测户' END)
                                  || '子女，' || (CASE WHEN education IN ('71', '73') THEN '初中' ELSE '高中' END)
                                  || (CASE WHEN education IN ('73', '63') THEN '肄业' ELSE '毕业' END)
                                  || '后于 ' || left_school_year || ' 年离校未继续升学，现年 ' || f.age_years || ' 岁')
                         AS r) x
$$;

-- A device's batch item, kept so that sending the same batch again returns the same answers.
CREATE TABLE sync_items (
    county_code text NOT NULL,
    client_id   uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('household', 'person', 'survey')),
    body_hash   bytea NOT NULL,
    result      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, client_id)
);
