from django.conf import settings

from .tiers import TIER_LABELS, current_tier


def site(request):
    tier = current_tier()
    return {
        "env_tier": tier,
        "env_tier_label": TIER_LABELS[tier],
        "site_name": "InstaInstru",
        "debug": settings.DEBUG,
    }
