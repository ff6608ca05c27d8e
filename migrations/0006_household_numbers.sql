-- 户编号 for every household, unique within its village.
--
-- Web and sync registrations left 户编号 empty, and the ledger requires it: such a household could not
-- go through export -> edit -> import. Every household now has one; a household registered without one
-- gets `<12-digit village code>-<4-digit sequence in the village>` (513435103201-0007), a form no county's
-- own numbering uses, so the two never collide and a county may keep numbering its way.
--
-- Uniqueness moves from (county, 户编号) to (county, village, 户编号): village ledgers commonly number
-- their households 1, 2, 3 ... per village (户序号), so two villages of one county may both have a "1".
-- A county-wide numbering (or the national system's 户编号) is unique per village too, so it still fits.

WITH numbered AS (
    SELECT h.county_code, h.id,
           h.village_code || '-' || lpad((coalesce(last.n, 0)
               + row_number() OVER (PARTITION BY h.county_code, h.village_code ORDER BY h.created_at, h.id))::text,
               4, '0') AS household_no
    FROM households h
    LEFT JOIN LATERAL (
        SELECT max(substr(x.household_no, 14)::integer) AS n FROM households x
        WHERE x.county_code = h.county_code AND x.village_code = h.village_code
          AND x.household_no ~ ('^' || h.village_code || '-[0-9]{4,9}$')) last ON true
    WHERE h.household_no IS NULL
)
UPDATE households h SET household_no = numbered.household_no
FROM numbered WHERE h.county_code = numbered.county_code AND h.id = numbered.id;

ALTER TABLE households ALTER COLUMN household_no SET NOT NULL;
DROP INDEX households_number;
CREATE UNIQUE INDEX households_number ON households (county_code, village_code, household_no);
