"""Rules that check themselves, by reading the source (like Zulip's lint rules for its actions).

1. Apps depend on each other one way: the graph of imports between our apps (module-level and
   function-level, app code only: tests and migrations are left out) has no cycle.
2. No function-level import of another of our apps: such an import only ever exists to dodge
   a cycle.
3. Views, API views, admin modules and tasks never write a model: they call a service.
4. A status field is assigned only in the service module that owns its transitions.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "core",
    "accounts",
    "instructors",
    "availability",
    "bookings",
    "messaging",
    "payments",
    "privacy",
    "search",
    "demo",
)

# The service modules that own each status: only they may assign `<obj>.status = ...`.
STATUS_OWNERS = {
    "bookings/services.py",  # Booking.status
    "payments/services/lifecycle.py",  # BookingPayment.status, and a card dispute's (from Stripe's events)
    "payments/services/connect.py",  # ConnectAccount.status
}
# Calls that write rows. `.update(` and `.delete(` only count on a queryset or manager chain.
WRITE_METHODS = {"save", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}
CHAIN_WRITE_METHODS = {"update", "delete"}
# Modules that only parse input, render, or schedule: everything they change goes through services.
NO_WRITES = ("views.py", "api/views.py", "admin.py", "tasks.py")


def app_files(*, include_tests: bool = False):
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or (not include_tests and ("tests" in parts or "conftest.py" in parts)):
                continue
            yield app, path


def _imported_apps(tree: ast.AST, *, function_level_only: bool = False):
    """(line, app) for each import of one of our apps in the module."""
    function_nodes = set()
    if function_level_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                function_nodes.update(id(child) for child in ast.walk(node) if child is not node)
    for node in ast.walk(tree):
        if function_level_only and id(node) not in function_nodes:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in APPS:
                yield node.lineno, top


def import_graph() -> dict[str, dict[str, list[str]]]:
    """app -> imported app -> where ("file:line")."""
    graph: dict[str, dict[str, list[str]]] = {app: {} for app in APPS}
    for app, path in app_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, other in _imported_apps(tree):
            if other != app:
                graph[app].setdefault(other, []).append(f"{path.relative_to(ROOT)}:{line}")
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle of the graph as a path [a, b, ..., a], or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for neighbour in sorted(graph.get(node, {})):
            if state.get(neighbour) == "open":
                return [*stack[stack.index(neighbour) :], neighbour]
            if neighbour not in state and (cycle := visit(neighbour)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_one_and_only_one():
    assert find_cycle({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": []}, "b": {"c": []}, "c": {}}) is None


def test_apps_import_each_other_one_way():
    graph = import_graph()
    cycle = find_cycle(graph)
    if cycle:
        edges = [f"{a} -> {b}: {', '.join(graph[a][b][:3])}" for a, b in zip(cycle, cycle[1:], strict=False)]
        pytest.fail("Apps import each other in a circle:\n" + "\n".join(edges))


def test_no_function_level_imports_of_our_apps():
    found = []
    for _, path in app_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        found += [
            f"{path.relative_to(ROOT)}:{line} imports {app}"
            for line, app in _imported_apps(tree, function_level_only=True)
        ]
    assert found == [], "Function-level imports of our apps (move them to the top, or fix the cycle they dodge)"


def _writes(tree: ast.AST):
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        saves = method in WRITE_METHODS and not _commit_false(node)
        if saves or (method in CHAIN_WRITE_METHODS and _is_query_chain(node.func.value)):
            yield node.lineno, method


def _commit_false(call: ast.Call) -> bool:
    """`form.save(commit=False)` builds objects without writing them."""
    return any(
        keyword.arg == "commit" and isinstance(keyword.value, ast.Constant) and keyword.value.value is False
        for keyword in call.keywords
    )


def _is_query_chain(node: ast.AST) -> bool:
    """`X.objects...` or a queryset method chain such as `qs.filter(...)`: a database write."""
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Attribute) and node.attr in {"objects", "filter", "exclude", "all"}:
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def test_views_api_admin_and_tasks_never_write_models():
    found = []
    for _, path in app_files():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.endswith(NO_WRITES):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        found += [f"{relative}:{line} .{method}(...)" for line, method in _writes(tree)]
    assert found == [], "Views, API views, admin and tasks must call a service to change data"


def test_the_write_check_sees_writes():
    tree = ast.parse(
        "a.save()\nB.objects.create()\nqs.filter(x=1).update(y=2)\nd.update({})\nB.objects.all().delete()\n"
        "formset.save(commit=False)"
    )
    assert [method for _, method in _writes(tree)] == ["save", "create", "update", "delete"]


def _status_assignments(tree: ast.AST):
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AugAssign | ast.AnnAssign)
            else []
        )
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(element, ast.Attribute) and element.attr == "status":
                    yield node.lineno


def test_status_is_assigned_only_by_its_owning_service():
    found = []
    for _, path in app_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative in STATUS_OWNERS:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        found += [f"{relative}:{line}" for line in _status_assignments(tree)]
    assert found == [], "`.status =` outside the service that owns the transition"


def test_the_status_check_sees_assignments():
    tree = ast.parse("a.status = 1\nb.status, c.x = 1, 2\nd.statuses = 3")
    assert len(list(_status_assignments(tree))) == 2


def test_every_admin_that_can_write_goes_through_a_service():
    """A ModelAdmin of ours that lets staff add, change or delete must override the hooks that
    would otherwise write the table directly (Django's save_model, save_related, delete_*)."""
    from django.contrib import admin
    from django.test import RequestFactory

    from accounts.models import User

    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_active=True, is_staff=True)
    base = admin.ModelAdmin
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        owned = type(model_admin)
        writes = model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
        if writes and owned.save_model is base.save_model:
            found.append(f"{owned.__name__}.save_model")
        many_to_many = any(field.many_to_many for field in model._meta.get_fields() if not field.auto_created)
        editable_inlines = [
            inline
            for inline in model_admin.get_inline_instances(request)
            if inline.has_add_permission(request, None) or inline.has_change_permission(request)
        ]
        default_related = owned.save_related is base.save_related
        if (
            writes
            and default_related
            and (many_to_many or (editable_inlines and owned.save_formset is base.save_formset))
        ):
            found.append(f"{owned.__name__}.save_related")
        if model_admin.has_delete_permission(request):
            for hook in ("delete_model", "delete_queryset"):
                if getattr(owned, hook) is getattr(base, hook):
                    found.append(f"{owned.__name__}.{hook}")
    assert found == [], "Admin hooks that write tables directly (call a service instead)"
