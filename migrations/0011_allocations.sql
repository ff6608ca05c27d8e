-- Serving recommendations: a batch (分批次) proposed for a village or township is kept with what it
-- offered and how each proposed sign-up turned out when it was accepted.

-- An enrolment carries the recommendation it took up (0010). That recommendation must be of the same
-- person and session, or uptake would count a sign-up against the wrong offer: say so in the schema.
CREATE UNIQUE INDEX recommendations_pair_id ON recommendations (county_code, id, person_id, session_id);
ALTER TABLE enrolments ADD CONSTRAINT enrolments_recommendation_same_pair
    FOREIGN KEY (county_code, recommendation_id, person_id, session_id)
    REFERENCES recommendations (county_code, id, person_id, session_id);

CREATE TABLE allocations (
    county_code          text NOT NULL,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    region_code          text NOT NULL REFERENCES regions (code),  -- a village or a township
    status               text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'accepted')),
    model_version        text NOT NULL,
    priority_weight      double precision NOT NULL CHECK (priority_weight >= 0),
    people_considered    integer NOT NULL CHECK (people_considered >= 0),
    expected_completions double precision NOT NULL CHECK (expected_completions >= 0),
    created_by           uuid,
    created_at           timestamptz NOT NULL DEFAULT now(),
    accepted_by          uuid,
    accepted_at          timestamptz,
    PRIMARY KEY (county_code, id),
    CHECK (left(region_code, 6) = county_code),
    CHECK ((status = 'accepted') = (accepted_at IS NOT NULL))
);
CREATE INDEX allocations_region ON allocations (county_code, region_code, created_at DESC);

-- The sessions a batch filled and the seats each had left when it was proposed.
CREATE TABLE allocation_sessions (
    county_code   text NOT NULL,
    allocation_id uuid NOT NULL,
    session_id    uuid NOT NULL,
    seats_offered integer NOT NULL CHECK (seats_offered >= 0),
    PRIMARY KEY (county_code, allocation_id, session_id),
    FOREIGN KEY (county_code, allocation_id) REFERENCES allocations (county_code, id),
    FOREIGN KEY (county_code, session_id) REFERENCES sessions (county_code, id)
);

-- One row per person placed: a person appears at most once in a batch (the primary key says so).
CREATE TABLE allocation_items (
    county_code       text NOT NULL,
    allocation_id     uuid NOT NULL,
    person_id         uuid NOT NULL,
    session_id        uuid NOT NULL,
    recommendation_id uuid,
    score             double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
    reasons           text[] NOT NULL DEFAULT '{}',
    priority          boolean NOT NULL,
    outcome           text NOT NULL DEFAULT 'proposed'
                      CHECK (outcome IN ('proposed', 'enrolled', 'waitlisted', 'refused')),
    enrolment_id      uuid,
    message           text,  -- why the enrolment rules refused the sign-up
    PRIMARY KEY (county_code, allocation_id, person_id),
    FOREIGN KEY (county_code, allocation_id, session_id)
        REFERENCES allocation_sessions (county_code, allocation_id, session_id),
    FOREIGN KEY (county_code, person_id) REFERENCES people (county_code, id),
    FOREIGN KEY (county_code, recommendation_id) REFERENCES recommendations (county_code, id),
    FOREIGN KEY (county_code, enrolment_id) REFERENCES enrolments (county_code, id),
    CHECK ((outcome IN ('enrolled', 'waitlisted')) = (enrolment_id IS NOT NULL))
);
CREATE INDEX allocation_items_session ON allocation_items (county_code, allocation_id, session_id);
