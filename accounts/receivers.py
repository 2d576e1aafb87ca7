"""Sign-ins and sign-outs keep the list of signed-in browsers."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import services


@receiver(user_logged_in, dispatch_uid="accounts.record_sign_in")
def signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.record_sign_in(request, user)


@receiver(user_logged_out, dispatch_uid="accounts.record_sign_out")
def signed_out(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.record_sign_out(request.session.session_key)
