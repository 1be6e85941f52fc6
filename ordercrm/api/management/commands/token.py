"""``ordercrm token create USERNAME [--name NAME]`` prints a new API token alone on its last
line; ``token list USERNAME`` and ``token revoke TOKEN_ID`` manage them."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ordercrm.accounts.models import ApiToken
from ordercrm.accounts.tokens import token_create


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for a user")
        create.add_argument("username")
        create.add_argument("--name", default="API")
        listing = sub.add_parser("list", help="a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token by id")
        revoke.add_argument("token_id")

    def _user(self, username):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user

    def handle(self, *args, action, **options):
        if action == "create":
            user = self._user(options["username"])
            token, raw = token_create(user=user, name=options["name"])
            self.stdout.write(
                f"Token {token.pk} for {user.username} ({token.name}); it is shown only once:"
            )
            self.stdout.write(raw)
        elif action == "list":
            for token in ApiToken.objects.filter(user=self._user(options["username"])):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.pk} {token.prefix}… {token.name} {state} last used {token.last_used_at}"
                )
        elif action == "revoke":
            updated = ApiToken.objects.filter(
                pk=options["token_id"], revoked_at__isnull=True
            ).update(revoked_at=timezone.now())
            if not updated:
                raise CommandError("no such active token")
            self.stdout.write("revoked")
