-- Foundation: reference tables, accounts, the school catalogue (四晒一亮) and the audit log.
--
-- Tenancy: every tenant table has county_code (GB/T 2260, 6 digits) first in its primary key and in
-- every foreign key between tenant tables, so each table can be distributed by county_code on Citus
-- without a rewrite. Reference tables (regions, trades, education_levels, users) are small, plain
-- tables (Citus reference tables).

-- ---------------------------------------------------------------- reference tables

CREATE TABLE regions (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{12}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    parent_code text REFERENCES regions (code),
    level       text NOT NULL CHECK (level IN ('county', 'township', 'village')),
    key_poverty boolean NOT NULL DEFAULT false,
    lat         double precision CHECK (lat BETWEEN -90 AND 90),
    lon         double precision CHECK (lon BETWEEN -180 AND 180),
    county_code text GENERATED ALWAYS AS (left(code, 6)) STORED,
    -- 统计用区划代码: county 6 + township 3 + village 3; the level decides which parts are zero.
    CONSTRAINT regions_code_matches_level CHECK (
        (level = 'county'   AND right(code, 6) = '000000') OR
        (level = 'township' AND right(code, 3) = '000' AND substr(code, 7, 3) <> '000') OR
        (level = 'village'  AND right(code, 3) <> '000' AND substr(code, 7, 3) <> '000')),
    CONSTRAINT regions_parent_for_level CHECK ((level = 'county') = (parent_code IS NULL))
);
CREATE INDEX regions_parent ON regions (parent_code);
CREATE INDEX regions_county ON regions (county_code, level);

-- 职业分类大典 occupations; the edition is stored with each code.
CREATE TABLE trades (
    code     text PRIMARY KEY CHECK (code ~ '^[0-9]-[0-9]{2}-[0-9]{2}-[0-9]{2}$'),
    edition  text NOT NULL,
    name     text NOT NULL UNIQUE,
    category text NOT NULL,
    aliases  text[] NOT NULL DEFAULT '{}',
    focus    boolean NOT NULL DEFAULT false
);

-- GB/T 4658 文化程度. rank orders levels for "minimum education" checks: 肄业 (left before
-- finishing) counts as the level below.
CREATE TABLE education_levels (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
    name text NOT NULL UNIQUE,
    rank smallint NOT NULL
);
INSERT INTO education_levels (code, name, rank) VALUES
    ('11', '博士研究生毕业', 70), ('14', '硕士研究生毕业', 65),
    ('21', '大学本科毕业', 60), ('22', '大学本科结业', 55), ('23', '大学本科肄业', 50),
    ('31', '大学专科毕业', 50), ('32', '大学专科结业', 45), ('33', '大学专科肄业', 40),
    ('41', '中专毕业', 40), ('42', '中专结业', 38), ('43', '中专肄业', 30),
    ('44', '职高毕业', 40), ('45', '职高结业', 38), ('46', '职高肄业', 30),
    ('47', '技工学校毕业', 40), ('48', '技工学校结业', 38), ('49', '技工学校肄业', 30),
    ('61', '普通高中毕业', 40), ('62', '普通高中结业', 38), ('63', '普通高中肄业', 30),
    ('71', '初中毕业', 30), ('73', '初中肄业', 20),
    ('81', '小学毕业', 20), ('83', '小学肄业', 10),
    ('90', '未上过学', 0);

-- ---------------------------------------------------------------- the catalogue

CREATE TABLE schools (
    county_code text NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 2 AND 100),
    kind        text NOT NULL CHECK (kind IN ('secondary_vocational', 'technical', 'higher_vocational',
                                               'training_institution')),
    address     text,
    phone       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    UNIQUE (county_code, name)
);

-- 晒专业
CREATE TABLE majors (
    county_code text NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    school_id   uuid NOT NULL,
    name        text NOT NULL,
    trade_codes text[] NOT NULL CHECK (cardinality(trade_codes) BETWEEN 1 AND 20),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    UNIQUE (county_code, school_id, name),
    FOREIGN KEY (county_code, school_id) REFERENCES schools (county_code, id)
);

-- 晒师资
CREATE TABLE teachers (
    county_code text NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    school_id   uuid NOT NULL,
    name        text NOT NULL,
    title       text,
    trade_codes text[] NOT NULL CHECK (cardinality(trade_codes) BETWEEN 1 AND 20),
    skill_level text CHECK (skill_level IN ('junior', 'intermediate', 'senior', 'technician', 'senior_technician')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, school_id) REFERENCES schools (county_code, id)
);
CREATE INDEX teachers_school ON teachers (county_code, school_id);

-- 晒设备
CREATE TABLE equipment (
    county_code text NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    school_id   uuid NOT NULL,
    name        text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    trade_codes text[] NOT NULL CHECK (cardinality(trade_codes) BETWEEN 1 AND 20),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, school_id) REFERENCES schools (county_code, id)
);
CREATE INDEX equipment_school ON equipment (county_code, school_id);

CREATE TABLE courses (
    county_code   text NOT NULL,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    school_id     uuid NOT NULL,
    title         text NOT NULL,
    trade_code    text NOT NULL REFERENCES trades (code),
    kind          text NOT NULL CHECK (kind IN ('long', 'short', 'entrepreneurship', 'practical')),
    hours         integer NOT NULL CHECK (hours > 0),
    skill_level   text CHECK (skill_level IN ('junior', 'intermediate', 'senior', 'technician', 'senior_technician')),
    certificate   boolean NOT NULL DEFAULT false,
    min_age       smallint CHECK (min_age BETWEEN 0 AND 120),
    max_age       smallint CHECK (max_age BETWEEN 0 AND 120),
    min_education text REFERENCES education_levels (code),
    description   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, school_id) REFERENCES schools (county_code, id),
    CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age)
);
CREATE INDEX courses_school ON courses (county_code, school_id);
CREATE INDEX courses_trade ON courses (county_code, trade_code);

-- 亮时间表: a session is one run of a course at a place and time. Drafts may be incoherent;
-- publishing checks them (training.catalogue.service).
CREATE TABLE sessions (
    county_code  text NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    course_id    uuid NOT NULL,
    school_id    uuid NOT NULL,
    starts_on    date NOT NULL,
    ends_on      date NOT NULL,
    village_code text NOT NULL REFERENCES regions (code),
    venue        text,
    capacity     integer NOT NULL CHECK (capacity >= 0),
    schedule     text,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
    published_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, course_id) REFERENCES courses (county_code, id),
    FOREIGN KEY (county_code, school_id) REFERENCES schools (county_code, id),
    CHECK (left(village_code, 6) = county_code)
);
CREATE INDEX sessions_menu ON sessions (county_code, status, starts_on);
CREATE INDEX sessions_village ON sessions (county_code, village_code);
CREATE INDEX sessions_course ON sessions (county_code, course_id);

CREATE TABLE session_teachers (
    county_code text NOT NULL,
    session_id  uuid NOT NULL,
    teacher_id  uuid NOT NULL,
    PRIMARY KEY (county_code, session_id, teacher_id),
    FOREIGN KEY (county_code, session_id) REFERENCES sessions (county_code, id) ON DELETE CASCADE,
    FOREIGN KEY (county_code, teacher_id) REFERENCES teachers (county_code, id)
);

-- 培训资源包: sessions bundled for (key poverty) villages.
CREATE TABLE packages (
    county_code text NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    UNIQUE (county_code, name)
);

CREATE TABLE package_villages (
    county_code  text NOT NULL,
    package_id   uuid NOT NULL,
    village_code text NOT NULL REFERENCES regions (code),
    PRIMARY KEY (county_code, package_id, village_code),
    FOREIGN KEY (county_code, package_id) REFERENCES packages (county_code, id) ON DELETE CASCADE
);
CREATE INDEX package_villages_village ON package_villages (county_code, village_code);

CREATE TABLE package_sessions (
    county_code text NOT NULL,
    package_id  uuid NOT NULL,
    session_id  uuid NOT NULL,
    PRIMARY KEY (county_code, package_id, session_id),
    FOREIGN KEY (county_code, package_id) REFERENCES packages (county_code, id) ON DELETE CASCADE,
    FOREIGN KEY (county_code, session_id) REFERENCES sessions (county_code, id)
);

-- ---------------------------------------------------------------- accounts

-- Accounts are few and looked up by username across counties, so they are a reference table.
-- county_code is the account's home county (NULL only for a system-wide admin).
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.@-]{2,64}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'official', 'school', 'surveyor')),
    county_code   text CHECK (county_code ~ '^[0-9]{6}$'),
    school_id     uuid,
    -- 12-digit region codes the account may see: county, township or village level.
    region_codes  text[] NOT NULL DEFAULT '{}',
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (county_code, school_id) REFERENCES schools (county_code, id),
    CHECK ((role = 'school') = (school_id IS NOT NULL)),
    CHECK (role IN ('admin', 'school') OR cardinality(region_codes) > 0)
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- ---------------------------------------------------------------- audit

-- Append-only: who did what to which object, with changed field names and non-sensitive values.
CREATE TABLE audit_log (
    county_code text NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    actor_name  text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   text,
    changes     jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (county_code, id)
);
CREATE INDEX audit_log_at ON audit_log (county_code, at DESC);
CREATE INDEX audit_log_object ON audit_log (county_code, object_type, object_id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
