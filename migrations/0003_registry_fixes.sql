-- 1. lianghousheng() as a set-returning SQL function (one row), so PostgreSQL inlines it into the
--    people queries instead of calling it once per person: a county list of 50,000 people no longer
--    spends most of its time in 50,000 function calls. Same rule, same reasons.
-- 2. A device's cached sync answer remembers who sent the item, so another account resending the same
--    client_id cannot replay it.

DROP FUNCTION lianghousheng(text, text, boolean, smallint, date, text, date, integer, integer, integer, integer,
                            integer);

CREATE FUNCTION lianghousheng(
    poverty_status text, education text, in_school boolean, left_school_year smallint, birth_date date,
    sex text, as_of date, max_years integer, male_min integer, male_max integer, female_min integer,
    female_max integer
) RETURNS TABLE (qualifies boolean, reason text) LANGUAGE sql STABLE AS $$
    SELECT f.failure IS NULL,
           coalesce(f.failure,
                    (CASE poverty_status WHEN 'registered_poor' THEN '建档立卡贫困户'
                                         WHEN 'lifted' THEN '脱贫户' ELSE '监测户' END)
                    || '子女，' || (CASE WHEN education IN ('71', '73') THEN '初中' ELSE '高中' END)
                    || (CASE WHEN education IN ('73', '63') THEN '肄业' ELSE '毕业' END)
                    || '后于 ' || left_school_year || ' 年离校未继续升学，现年 ' || f.age_years || ' 岁')
    FROM (
        SELECT
            CASE
                WHEN poverty_status NOT IN ('registered_poor', 'lifted', 'monitored') THEN '家庭不是建档立卡、脱贫或监测户'
                WHEN education NOT IN ('71', '73', '61', '62', '63') THEN '文化程度不是初中或高中毕业（肄业）'
                WHEN in_school THEN '仍在校'
                WHEN left_school_year IS NULL THEN '未填离校年份'
                WHEN extract(year FROM as_of) - left_school_year > max_years THEN '离校已超过 ' || max_years || ' 年'
                WHEN extract(year FROM as_of) - left_school_year < 0 THEN '离校年份在今年之后'
                WHEN a.age_years < (CASE WHEN sex = 'male' THEN male_min ELSE female_min END)
                  OR a.age_years > (CASE WHEN sex = 'male' THEN male_max ELSE female_max END) THEN
                    '年龄 ' || a.age_years || ' 岁，不在劳动年龄内'
            END AS failure,
            a.age_years
        FROM (SELECT extract(year FROM age(as_of, birth_date))::integer AS age_years) a
    ) f
$$;

ALTER TABLE sync_items ADD COLUMN actor_id uuid;
