import factory
from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import User
from accounts.selectors import authenticator
from accounts.services import enrol_known_key

TEST_PASSWORD = "a-Long-test-passw0rd"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    timezone = "America/New_York"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=extracted or "student"))
            self.save()


# A known authenticator key (hex, as django-otp stores it): tests compute its current code.
TEST_TOTP_KEY = "3132333435363738393031323334353637383930"


def with_two_factor(user: User) -> User:
    """Two-factor sign-in on, with TEST_TOTP_KEY (through the service, so listeners hear it)."""
    enrol_known_key(user=user, key_hex=TEST_TOTP_KEY)
    return user


def sign_in_verified(client, user: User) -> User:
    """Sign `client` in as `user` with the second step passed (turning two-factor on if needed),
    as a real sign-in with a code would leave the session."""
    device = authenticator(user) or enrol_known_key(user=user, key_hex=TEST_TOTP_KEY)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return user


def staff_signed_in(client, role: str = "admin") -> User:
    """A staff member of `role`, signed in to the console (two-factor passed)."""
    return sign_in_verified(client, UserFactory(role=role, is_staff=True))
