from django.db import transaction

from . import ratelimit
from .models import AuditLog, RateLimitRule

RULE_FIELDS = ("bucket", "limit", "period_seconds", "burst", "shadow", "enabled")


def _rule_values(rule: RateLimitRule | None) -> dict:
    return {name: getattr(rule, name) for name in RULE_FIELDS} if rule is not None else {}


@transaction.atomic
def save_rate_limit_rule(rule: RateLimitRule, *, actor=None) -> RateLimitRule:
    """Create or change a runtime rate-limit rule (audited when staff do it)."""
    rule.full_clean()
    before = _rule_values(RateLimitRule.objects.select_for_update().filter(pk=rule.pk).first())
    rule.save()
    if actor is not None:
        record_audit(actor=actor, action="change_rate_limit_rule", target=rule, before=before, after=_rule_values(rule))
    transaction.on_commit(ratelimit.clear_rule_cache)
    return rule


@transaction.atomic
def delete_rate_limit_rule(rule: RateLimitRule, *, actor=None) -> None:
    if actor is not None:
        record_audit(actor=actor, action="delete_rate_limit_rule", target=rule, before=_rule_values(rule))
    rule.delete()
    transaction.on_commit(ratelimit.clear_rule_cache)


def record_audit(
    *, actor, action: str, target, reason: str = "", before: dict | None = None, after: dict | None = None, **data
) -> AuditLog:
    """Write one audit row: `actor` did `action` to `target` (a model instance) because of
    `reason`, changing `before` into `after` (the fields that matter, JSON-able); `data` for
    anything else worth keeping."""
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        reason=(reason or "")[:300],
        before=before or {},
        after=after or {},
        data=data,
    )
