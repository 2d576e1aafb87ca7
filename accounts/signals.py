"""What accounts tells other apps. Sent with `user` and `enabled` when two-factor sign-in is turned
on or off (an instructor's profile is live only with it on)."""

from django.dispatch import Signal

two_factor_changed = Signal()
