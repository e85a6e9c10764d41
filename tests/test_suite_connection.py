"""The connection the tests share is as patient as each test is (``_patient_redis``).

Collecting a test module that imports ``byline.wsgi`` turns the app server's database
deadline on in the pytest process (``postgres.serve()``: a ``statement_timeout`` on each
new PostgreSQL connection), before the shared connection is opened to set up the test
database: it kept production's 5 s for the whole session, whatever each test set, and a
statement longer than that on a loaded machine (``tests/test_indexes.py``'s
database-wide ANALYZE after the discussion tests, dropping an old test database) was
cancelled: a failure that depended on which modules were collected with it.
"""

import pytest
from django.db import connection

import byline.wsgi  # noqa: F401 (as the modules that start the app import it)
from tests.conftest import using_postgres


@pytest.mark.skipif(not using_postgres(), reason="PostgreSQL's statement_timeout")
@pytest.mark.django_db
def test_the_connection_the_tests_share_waits_as_long_as_a_test_may():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "1min"
