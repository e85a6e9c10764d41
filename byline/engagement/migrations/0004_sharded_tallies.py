"""Split vote totals over shards, so votes on one popular article stop queueing for one row.

Before: every rating of an article updated its one ``ArticleStats`` row and
every reaction one of six ``ReactionTally`` rows, each lock held through the
commit's WAL flush, so one article took at most about one vote per flush.
After: ``ReactionTally`` and the new ``StarTally`` hold ``TALLY_SHARDS`` rows
per (article, choice); a vote moves one shard picked at random; readers sum
the shards. Existing totals move to shard 0. The vote functions take the
shard as an argument.
"""

import django.db.models.deletion
from django.db import migrations, models

REACT = """
CREATE OR REPLACE FUNCTION engagement_react(
    p_article bigint, p_reader text, p_reaction text, p_shard integer
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_prev text;
    v_new text;
    v_key text;
    v_delta integer;
BEGIN
    SELECT id, reaction INTO v_id, v_prev FROM engagement_reaction
        WHERE article_id = p_article AND reader = p_reader FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO engagement_reaction (article_id, reader, reaction, created_at, updated_at)
            VALUES (p_article, p_reader, '', now(), now())
            ON CONFLICT (article_id, reader) DO NOTHING;
        SELECT id, reaction INTO v_id, v_prev FROM engagement_reaction
            WHERE article_id = p_article AND reader = p_reader FOR UPDATE;
    END IF;
    v_new := CASE WHEN p_reaction = v_prev THEN '' ELSE p_reaction END;
    IF v_new = v_prev THEN
        RETURN v_new;
    END IF;
    UPDATE engagement_reaction SET reaction = v_new, updated_at = now() WHERE id = v_id;
    FOR v_key, v_delta IN
        SELECT c.key, c.delta FROM (VALUES (v_prev, -1), (v_new, 1)) AS c(key, delta)
        WHERE c.key <> '' ORDER BY c.key
    LOOP
        UPDATE engagement_reactiontally SET count = count + v_delta
            WHERE article_id = p_article AND reaction = v_key AND shard = p_shard;
        IF NOT FOUND THEN
            INSERT INTO engagement_articlestats (article_id, views, comments)
                VALUES (p_article, 0, 0) ON CONFLICT (article_id) DO NOTHING;
            INSERT INTO engagement_reactiontally AS t (article_id, reaction, shard, count)
                VALUES (p_article, v_key, p_shard, v_delta)
                ON CONFLICT (article_id, reaction, shard)
                DO UPDATE SET count = t.count + excluded.count;
        END IF;
    END LOOP;
    RETURN v_new;
END;
$$;
"""

RATE = """
CREATE OR REPLACE FUNCTION engagement_rate(
    p_article bigint, p_reader text, p_stars integer, p_shard integer
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_prev integer;
    v_stars integer;
    v_delta integer;
BEGIN
    SELECT id, stars INTO v_id, v_prev FROM engagement_rating
        WHERE article_id = p_article AND reader = p_reader FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO engagement_rating (article_id, reader, stars, created_at, updated_at)
            VALUES (p_article, p_reader, NULL, now(), now())
            ON CONFLICT (article_id, reader) DO NOTHING;
        SELECT id, stars INTO v_id, v_prev FROM engagement_rating
            WHERE article_id = p_article AND reader = p_reader FOR UPDATE;
    END IF;
    IF v_prev IS NOT DISTINCT FROM p_stars THEN
        RETURN p_stars;
    END IF;
    UPDATE engagement_rating SET stars = p_stars, updated_at = now() WHERE id = v_id;
    FOR v_stars, v_delta IN
        SELECT c.stars, c.delta FROM (VALUES (v_prev, -1), (p_stars, 1)) AS c(stars, delta)
        WHERE c.stars IS NOT NULL ORDER BY c.stars
    LOOP
        UPDATE engagement_startally SET count = count + v_delta
            WHERE article_id = p_article AND stars = v_stars AND shard = p_shard;
        IF NOT FOUND THEN
            INSERT INTO engagement_articlestats (article_id, views, comments)
                VALUES (p_article, 0, 0) ON CONFLICT (article_id) DO NOTHING;
            INSERT INTO engagement_startally AS t (article_id, stars, shard, count)
                VALUES (p_article, v_stars, p_shard, v_delta)
                ON CONFLICT (article_id, stars, shard)
                DO UPDATE SET count = t.count + excluded.count;
        END IF;
    END LOOP;
    RETURN p_stars;
END;
$$;
"""

DROP_OLD = """
DROP FUNCTION IF EXISTS engagement_react(bigint, text, text);
DROP FUNCTION IF EXISTS engagement_rate(bigint, text, integer);
"""

DROP_NEW = """
DROP FUNCTION IF EXISTS engagement_react(bigint, text, text, integer);
DROP FUNCTION IF EXISTS engagement_rate(bigint, text, integer, integer);
"""


def stars_to_tallies(apps, schema_editor) -> None:
    ArticleStats = apps.get_model("engagement", "ArticleStats")
    StarTally = apps.get_model("engagement", "StarTally")
    rows = ArticleStats.objects.values_list(
        "article_id", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5"
    )
    StarTally.objects.bulk_create(
        StarTally(article_id=row[0], stars=stars, shard=0, count=row[stars])
        for row in rows.iterator()
        for stars in range(1, 6)
        if row[stars]
    )


def tallies_to_stars(apps, schema_editor) -> None:
    ArticleStats = apps.get_model("engagement", "ArticleStats")
    StarTally = apps.get_model("engagement", "StarTally")
    ReactionTally = apps.get_model("engagement", "ReactionTally")
    totals = StarTally.objects.values("article_id", "stars").annotate(n=models.Sum("count"))
    for row in totals:
        ArticleStats.objects.filter(article_id=row["article_id"]).update(
            **{f"stars_{row['stars']}": row["n"]}
        )
    # Merge each reaction's shards into one row without inserting any (an insert
    # would leave foreign-key checks pending before the ALTER TABLEs that follow).
    totals = ReactionTally.objects.values("article_id", "reaction").annotate(
        n=models.Sum("count"), keep=models.Min("id")
    )
    for row in totals:
        shards = ReactionTally.objects.filter(
            article_id=row["article_id"], reaction=row["reaction"]
        )
        shards.exclude(id=row["keep"]).delete()
        shards.filter(id=row["keep"]).update(shard=0, count=row["n"])


def new_functions(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_OLD)
        schema_editor.execute(REACT)
        schema_editor.execute(RATE)


def old_functions(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        old = import_module("byline.engagement.migrations.0003_vote_functions")
        schema_editor.execute(DROP_NEW)
        schema_editor.execute(old.REACT)
        schema_editor.execute(old.RATE)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_search_index"),
        ("engagement", "0003_vote_functions"),
    ]

    operations = [
        migrations.CreateModel(
            name="StarTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stars", models.PositiveSmallIntegerField()),
                ("shard", models.PositiveSmallIntegerField(default=0)),
                ("count", models.IntegerField(default=0)),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="star_tallies", to="articles.article")),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("article", "stars", "shard"), name="one_tally_per_stars_shard"),
                ],
            },
        ),
        migrations.RunPython(stars_to_tallies, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="reactiontally", name="one_tally_per_reaction"),
        migrations.AddField(
            model_name="reactiontally",
            name="shard",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="reactiontally", name="count", field=models.IntegerField(default=0)
        ),
        migrations.AddConstraint(
            model_name="reactiontally",
            constraint=models.UniqueConstraint(fields=("article", "reaction", "shard"), name="one_tally_per_reaction_shard"),
        ),
        migrations.RunPython(new_functions, old_functions, elidable=False),
        migrations.RunPython(migrations.RunPython.noop, tallies_to_stars),
        migrations.RemoveField(model_name="articlestats", name="stars_1"),
        migrations.RemoveField(model_name="articlestats", name="stars_2"),
        migrations.RemoveField(model_name="articlestats", name="stars_3"),
        migrations.RemoveField(model_name="articlestats", name="stars_4"),
        migrations.RemoveField(model_name="articlestats", name="stars_5"),
    ]
