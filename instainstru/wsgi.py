import os

from django.core.wsgi import get_wsgi_application

from core.edge import Edge

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "instainstru.settings")
# The edge answers repeated public reads from memory before Django (core/edge.py).
application = Edge(get_wsgi_application())
