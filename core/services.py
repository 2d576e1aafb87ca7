from django.db import transaction

from . import ratelimit
from .models import AuditLog, RateLimitRule


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


def record_audit(*, actor, action: str, target, **data) -> AuditLog:
    """Write one audit row for `actor` doing `action` to `target` (a model instance)."""
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data,
    )
