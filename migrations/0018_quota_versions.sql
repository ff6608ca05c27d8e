-- Quotas carry a version, like households and people: PUT /api/quotas with the version the official last
-- saw (0: none set yet) is refused with 409 when another official changed the quota meanwhile.
ALTER TABLE quotas ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE quotas ADD CONSTRAINT quotas_version_positive CHECK (version >= 1);
