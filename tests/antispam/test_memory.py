"""An app worker that only serves pages never loads the spam model's libraries.

numpy, SciPy and scikit-learn cost about 100 MB a worker; they load on the
first comment a worker checks, not at start-up or on a page view.
"""

import os
import subprocess
import sys

SCRIPT = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
from byline.wsgi import application
from django.test import Client
from byline.articles.demo import load_demo
from django.core.management import call_command
call_command("migrate", verbosity=0)
article, _ = load_demo()
for url in ["/", article.get_absolute_url(), "/comments/data/", "/admin/login/"]:
    assert Client().get(url).status_code == 200, url
heavy = sorted(name for name in ("sklearn", "scipy", "numpy") if name in sys.modules)
print(",".join(heavy) or "none")
"""


def test_serving_pages_does_not_load_the_model(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["BYLINE_DATA_DIR"] = str(tmp_path)
    env["BYLINE_ALLOWED_HOSTS"] = "testserver"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "none"
