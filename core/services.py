from django.db import transaction

from . import ratelimit
from .models import RateLimitRule


@transaction.atomic
def save_rate_limit_rule(rule: RateLimitRule) -> RateLimitRule:
    rule.full_clean()
    rule.save()
    transaction.on_commit(ratelimit.clear_rule_cache)
    return rule


@transaction.atomic
def delete_rate_limit_rule(rule: RateLimitRule) -> None:
    rule.delete()
    transaction.on_commit(ratelimit.clear_rule_cache)
