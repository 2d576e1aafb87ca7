import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.permissions import HasPermission, require_permission
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@require_permission("instructors.teach")
def teaching_view(request):
    return HttpResponse("ok")


class TeachingApi(APIView):
    permission_classes = [HasPermission("instructors.teach")]

    def get(self, request):
        return Response({"ok": True})


def _html_request(user):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/teach/")
    request.user = user or AnonymousUser()
    return request


def test_decorator_redirects_anonymous_to_login():
    response = teaching_view(_html_request(None))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_decorator_refuses_without_the_permission_and_allows_with_it():
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        teaching_view(_html_request(UserFactory(role="student")))
    assert teaching_view(_html_request(UserFactory(role="instructor"))).status_code == 200


@pytest.mark.parametrize("role, status", [(None, 403), ("student", 403), ("instructor", 200)])
def test_api_permission_class(role, status):
    request = APIRequestFactory().get("/api/v1/teach/")
    if role:
        force_authenticate(request, user=UserFactory(role=role))
    response = TeachingApi.as_view()(request)
    assert response.status_code == status
    if status == 403:
        assert response.data["error"]["code"] in {"forbidden", "not_authenticated"}
