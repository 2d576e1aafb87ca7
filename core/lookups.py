"""`field__any=[...]`: `field = ANY(%s)` with the whole list as one array parameter.

An `__in` list costs Django and psycopg work per element (a few milliseconds per thousand ids);
search reads calendars for hundreds of instructors at once, so those reads pass one array.
"""

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # related fields keep their own list: `instructor__any`, `instructor_id__any`
