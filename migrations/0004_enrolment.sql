-- Enrolment: people sign up for published sessions, attend, finish, get certified and find work.
--
-- Seats are counted on the session row (enrolled_count < capacity, checked and incremented in one
-- UPDATE), so concurrent sign-ups serialise on that row and never overbook. A person cannot hold two
-- active places whose dates overlap: the exclusion constraint says so to every writer at once.

CREATE EXTENSION IF NOT EXISTS btree_gist;

ALTER TABLE courses ADD COLUMN target_group text NOT NULL DEFAULT 'all'
    CHECK (target_group IN ('all', 'poor', 'lianghousheng'));

ALTER TABLE sessions
    ADD COLUMN enrolled_count integer NOT NULL DEFAULT 0 CHECK (enrolled_count >= 0),
    ADD COLUMN waitlist_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE enrolments (
    county_code    text NOT NULL,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    session_id     uuid NOT NULL,
    person_id      uuid NOT NULL,
    school_id      uuid NOT NULL,
    status         text NOT NULL CHECK (status IN ('enrolled', 'waitlisted', 'withdrawn', 'dropped', 'completed')),
    source         text NOT NULL DEFAULT 'surveyor' CHECK (source IN ('recommended', 'surveyor', 'school', 'self')),
    waitlist_seq   bigint,                -- arrival order on the waitlist
    starts_on      date NOT NULL,         -- the session's dates, for the overlap rule
    ends_on        date NOT NULL,
    reason         text,                  -- why withdrawn or dropped
    completed_on   date,
    passed         boolean,
    skill_level    text CHECK (skill_level IN ('junior', 'intermediate', 'senior', 'technician', 'senior_technician')),
    certificate_no text CHECK (certificate_no ~ '^[A-Z][0-9]{21}$'),
    override_reason text,                 -- completion allowed below the attendance threshold, and why
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, session_id) REFERENCES sessions (county_code, id),
    FOREIGN KEY (county_code, person_id) REFERENCES people (county_code, id),
    FOREIGN KEY (county_code, school_id) REFERENCES schools (county_code, id),
    CHECK ((status = 'waitlisted') = (waitlist_seq IS NOT NULL) OR status IN ('withdrawn', 'dropped')),
    CONSTRAINT enrolments_no_overlap EXCLUDE USING gist (
        county_code WITH =, person_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&
    ) WHERE (status IN ('enrolled', 'waitlisted'))
);
CREATE UNIQUE INDEX enrolments_once_per_session ON enrolments (county_code, session_id, person_id)
    WHERE status IN ('enrolled', 'waitlisted', 'completed');
CREATE UNIQUE INDEX enrolments_certificate ON enrolments (county_code, certificate_no) WHERE certificate_no IS NOT NULL;
CREATE INDEX enrolments_session ON enrolments (county_code, session_id, status, waitlist_seq);
CREATE INDEX enrolments_person ON enrolments (county_code, person_id);
CREATE INDEX enrolments_school ON enrolments (county_code, school_id);

CREATE TABLE attendance (
    county_code  text NOT NULL,
    enrolment_id uuid NOT NULL,
    day          date NOT NULL,
    present      boolean NOT NULL,
    recorded_by  uuid,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, enrolment_id, day),
    FOREIGN KEY (county_code, enrolment_id) REFERENCES enrolments (county_code, id)
);

CREATE TABLE employment (
    county_code    text NOT NULL,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    enrolment_id   uuid NOT NULL,
    employed_on    date NOT NULL,
    place          text NOT NULL CHECK (place IN ('local', 'migrant')),
    trade_code     text REFERENCES trades (code),
    employer       text,
    monthly_income integer CHECK (monthly_income BETWEEN 0 AND 1000000),
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, enrolment_id) REFERENCES enrolments (county_code, id)
);

-- Idempotency-Key: the first answer to a creating POST, replayed for a retry with the same key and
-- body. Keys are the client's, so they are kept per account, within the account's county ('000000'
-- for a system-wide admin).
CREATE TABLE idempotency_keys (
    county_code  text NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    user_id      uuid NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash bytea NOT NULL,
    status_code  integer,                 -- NULL while the first request is still running
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, user_id, key)
);
