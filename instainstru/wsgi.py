import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from core.checks import refuse_to_start_without_secrets
from core.edge import Edge

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "instainstru.settings")
# The edge answers repeated public reads from memory before Django (core/edge.py).
application = Edge(get_wsgi_application())
refuse_to_start_without_secrets()  # STG/PROD: every secret from the environment (core/checks.py)

# Import every URLconf and view now, then take what start-up built out of the garbage
# collector's sight: a full collection walking Django's ~130,000 start-up objects took about
# 55 ms, a stall for every request queued behind it (bench/README.md).
get_resolver().url_patterns  # noqa: B018 - loading it is the point
gc.freeze()
