-- Matching (issue 8): trained classifier models, which one each county uses, and the log of every
-- recommendation shown, linked to the enrolment made from it.

-- A model is a reference table (like trades): its features are county-agnostic (distance is same
-- village / township / county, trades are national codes), so a model trained on one county's history
-- can serve any county, and a county's own history is usually too small to train alone. The artifact
-- is a skops file, loaded only with an explicit list of trusted types, never pickle.
CREATE TABLE models (
    version     text PRIMARY KEY CHECK (version ~ '^[0-9A-Za-z._-]{1,64}$'),
    name        text NOT NULL CHECK (name ~ '^[0-9A-Za-z._-]{1,40}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    artifact    bytea NOT NULL,
    card        jsonb NOT NULL,                -- the model card as written next to the artifact
    metrics     jsonb NOT NULL,                -- hold-out figures for the model and both baselines
    beats_baselines boolean NOT NULL,
    trained_on  text[] NOT NULL DEFAULT '{}'   -- counties whose history trained it
);

-- Which model a county uses: exactly one per county (the primary key says so), and '000000' is the
-- system-wide choice for every county that has not chosen its own. Activation is per county because a
-- county admin answers for their county's recommendations and must not switch another county's.
CREATE TABLE active_models (
    county_code  text PRIMARY KEY CHECK (county_code ~ '^[0-9]{6}$'),
    version      text NOT NULL REFERENCES models (version),
    activated_at timestamptz NOT NULL DEFAULT now(),
    activated_by uuid
);

CREATE TABLE recommendations (
    county_code   text NOT NULL,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    person_id     uuid NOT NULL,
    session_id    uuid NOT NULL,
    model_version text NOT NULL REFERENCES models (version),
    score         double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
    rank          integer NOT NULL CHECK (rank >= 1),
    reasons       text[] NOT NULL DEFAULT '{}',
    context       text NOT NULL CHECK (context IN ('person', 'candidates', 'allocation')),
    shown_at      timestamptz NOT NULL DEFAULT now(),
    shown_by      uuid,
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, person_id) REFERENCES people (county_code, id),
    FOREIGN KEY (county_code, session_id) REFERENCES sessions (county_code, id)
);
-- Uptake groups by model version over a time window; weak negatives look a pair up.
CREATE INDEX recommendations_uptake ON recommendations (county_code, model_version, shown_at);
CREATE INDEX recommendations_pair ON recommendations (county_code, person_id, session_id);

-- An enrolment made from a shown recommendation carries it (shown -> enrolled -> completed).
ALTER TABLE enrolments ADD COLUMN recommendation_id uuid,
    ADD FOREIGN KEY (county_code, recommendation_id) REFERENCES recommendations (county_code, id);
CREATE INDEX enrolments_recommendation ON enrolments (county_code, recommendation_id)
    WHERE recommendation_id IS NOT NULL;
