import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser with a generated password, printed once, unless one exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@localhost")

    def handle(self, *args, username: str, email: str, **options):
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            self.stdout.write("A superuser exists already; nothing created.")
            return
        password = secrets.token_urlsafe(18)
        users.create_superuser(username=username, email=email, password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created superuser {username!r} with password {password}\n"
                "It is shown only this once: keep it, or set another with `manage.py changepassword`."
            )
        )
