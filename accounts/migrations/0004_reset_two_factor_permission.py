from django.db import migrations

from accounts.roles import create_roles_migration_step


class Migration(migrations.Migration):
    """Staff may reset a person's two-factor sign-in (support and admin roles)."""

    dependencies = [("accounts", "0003_backup_codes"), ("otp_totp", "0003_add_timestamps")]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "ordering": ["email"],
                "permissions": [
                    ("book_lessons", "Can search for and book lessons"),
                    ("view_private_details", "Can see users' full names, emails and phone numbers"),
                    ("manage_roles", "Can change users' roles"),
                    ("reset_two_factor", "Can reset a user's two-factor sign-in"),
                ],
            },
        ),
        migrations.RunPython(create_roles_migration_step, migrations.RunPython.noop),
    ]
