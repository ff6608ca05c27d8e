-- Seats, cancelled sessions and the indexes the existing queries need.
--
-- A session can be cancelled: its enrolled and waitlisted people become 'cancelled' (their seats
-- released), which is an end state like withdrawn and dropped.

ALTER TABLE enrolments DROP CONSTRAINT enrolments_status_check;
ALTER TABLE enrolments ADD CONSTRAINT enrolments_status_check
    CHECK (status IN ('enrolled', 'waitlisted', 'withdrawn', 'dropped', 'completed', 'cancelled'));
ALTER TABLE enrolments DROP CONSTRAINT enrolments_check;
ALTER TABLE enrolments ADD CONSTRAINT enrolments_waitlist_seq_check
    CHECK ((status = 'waitlisted') = (waitlist_seq IS NOT NULL) OR status IN ('withdrawn', 'dropped', 'cancelled'));

-- The seat counter never passes the capacity, whatever code path writes it.
ALTER TABLE sessions ADD CONSTRAINT sessions_enrolled_within_capacity CHECK (enrolled_count <= capacity);

-- The menu finds a session's packages by (county_code, session_id); the primary key starts with package_id.
CREATE INDEX package_sessions_session ON package_sessions (county_code, session_id);
-- A person's training record joins employment by enrolment.
CREATE INDEX employment_enrolment ON employment (county_code, enrolment_id);
-- The roster and the seat figures read a session's enrolments through enrolments_session (0004) and
-- attendance through its primary key (county_code, enrolment_id, day); nothing else is needed there.
