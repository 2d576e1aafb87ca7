"""Listens to accounts: two-factor sign-in is one of the go-live steps. Connected in
InstructorsConfig.ready."""

from django.dispatch import receiver

from accounts.signals import two_factor_changed

from .services import refresh_after_two_factor_change


@receiver(two_factor_changed, dispatch_uid="instructors.two_factor_changed")
def relist_after_two_factor_change(sender, *, user, **kwargs) -> None:
    refresh_after_two_factor_change(user)
