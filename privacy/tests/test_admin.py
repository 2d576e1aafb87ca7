import pytest

from accounts.tests.factories import UserFactory, sign_in_verified
from privacy import links, services

pytestmark = pytest.mark.django_db


def superuser_signed_in(client):
    """A superuser: the role groups do not list privacy's permissions yet (accounts/roles.py)."""
    return sign_in_verified(client, UserFactory(role="admin", is_staff=True, is_superuser=True))


@pytest.fixture
def ready_export(student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.request_export(user=student)


def test_staff_see_exports_but_never_the_file(client, ready_export):
    superuser_signed_in(client)

    listing = client.get("/admin/privacy/exportrequest/")
    detail = client.get(f"/admin/privacy/exportrequest/{ready_export.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    assert "ana@example.com" in listing.content.decode()
    for page in (listing, detail):
        text = page.content.decode()
        assert "/account/data/download/" not in text
        assert 'field-archive"' not in text and "PK\x03\x04" not in text  # no file field, no zip bytes
    assert links.download_path(ready_export.pk) not in detail.content.decode()


def test_staff_cannot_add_change_or_delete_exports(client, ready_export):
    superuser_signed_in(client)

    assert client.get("/admin/privacy/exportrequest/add/").status_code == 403
    assert client.post(f"/admin/privacy/exportrequest/{ready_export.pk}/delete/").status_code == 403


def test_staff_cannot_download_someone_elses_export_with_the_link(client, ready_export):
    superuser_signed_in(client)

    response = client.get(links.download_path(ready_export.pk))

    assert response.status_code == 404
