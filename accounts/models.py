from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from core.models import ULIDModel
from core.timeutil import now


class UserManager(BaseUserManager):
    use_in_migrations = True

    def normalize_email(self, email):
        return (email or "").strip().lower()

    def get_by_natural_key(self, email):
        return self.get(email__iexact=self.normalize_email(email))

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(ULIDModel, AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email. Roles are Groups; code checks permissions."""

    email = models.EmailField(max_length=254, unique=True)  # stored lower-cased (CHECK below)
    first_name = models.CharField(max_length=50)
    last_name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20, blank=True)
    timezone = models.CharField(max_length=64, default=settings.DEFAULT_USER_TIMEZONE)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the operations console.")
    date_joined = models.DateTimeField(default=now)
    # Set when the person's data was erased (right to be forgotten): the row stays, anonymous,
    # for the records the law keeps (payments, refunds, payouts, audit).
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="%(app_label)s_%(class)s_email_lowercase"
            ),
        ]
        permissions = [
            ("book_lessons", "Can search for and book lessons"),
            ("view_private_details", "Can see users' full names, emails and phone numbers"),
            ("manage_roles", "Can change users' roles"),
            ("reset_two_factor", "Can reset a user's two-factor sign-in"),
            ("erase_user", "Can delete a person's account and personal data on their request"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = User.objects.normalize_email(self.email)

    @property
    def public_name(self) -> str:
        """How other users see this person: 'FirstName L.'"""
        return public_name(self.first_name, self.last_name)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


def public_name(first_name: str, last_name: str) -> str:
    initial = f" {last_name.strip()[0].upper()}." if last_name and last_name.strip() else ""
    return f"{first_name.strip()}{initial}"


class BackupCode(ULIDModel):
    """A single-use backup code for two-factor sign-in, kept only as a keyed hash (the code itself
    is shown once, when made)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"], name="accounts_backupcode_user_idx")]

    def __str__(self) -> str:
        return f"backup code of {self.user_id} ({'used' if self.used_at else 'unused'})"


class SignedInSession(ULIDModel):
    """One browser signed in to an account, so the person can see where they are signed in and
    sign the others out. The session itself stays in Django's store; this is its public face.
    The address is kept only as a keyed hash (to tell sessions apart, never to locate anyone)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=now)
    last_seen_at = models.DateTimeField(default=now)
    user_agent = models.CharField(max_length=300, blank=True)
    address_hash = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="accounts_session_user_seen_idx")]

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
