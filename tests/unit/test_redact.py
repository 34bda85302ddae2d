"""brokeforge/lib/redact.py: nothing secret-looking is stored or logged."""

import logging

import pytest

from brokeforge.lib.redact import MASK, RedactingFilter, redact
from brokeforge.ssh import generate_keypair


def test_a_private_key_block_is_masked_whole() -> None:
    key = generate_keypair("test").private_key
    text = f"before\n{key}after\n"
    assert redact(text) == f"before\n{MASK}\nafter\n"


@pytest.mark.parametrize("kind", ["RSA ", "EC ", "ENCRYPTED ", ""])
def test_every_kind_of_private_key_block_is_masked(kind: str) -> None:
    text = f"-----BEGIN {kind}PRIVATE KEY-----\nMIIEabc\n-----END {kind}PRIVATE KEY-----"
    assert redact(text) == MASK


def test_a_truncated_private_key_is_masked_to_the_end() -> None:
    assert redact("key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk") == f"key:\n{MASK}"


def test_a_public_key_is_left_alone() -> None:
    public = generate_keypair("test").public_key
    assert redact(public) == public


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("password=hunter22", f"password={MASK}"),
        ("mysql --password hunter22 -e 'select 1'", f"mysql --password {MASK} -e 'select 1'"),
        ("PASSWORD: hunter22", f"PASSWORD: {MASK}"),
        ('{"password": "hunter22", "user": "bob"}', f'{{"password": "{MASK}", "user": "bob"}}'),
        ("PGPASSWORD=hunter22 psql", f"PGPASSWORD={MASK} psql"),
        ("api_key=abc123def", f"api_key={MASK}"),
        ("export API-KEY='abc123def'", f"export API-KEY='{MASK}'"),
        ("token: ghp_abcdef", f"token: {MASK}"),
        ("secret=xyz", f"secret={MASK}"),
        ("passwd=hunter22;next", f"passwd={MASK};next"),
    ],
)
def test_password_assignments_are_masked(text: str, clean: str) -> None:
    assert redact(text) == clean


def test_ordinary_output_is_left_alone() -> None:
    text = "Setting up nginx (1.22.1-9) ...\nAll 12 checks passed.\n"
    assert redact(text) == text


def test_registered_secrets_are_masked_wherever_they_appear() -> None:
    text = "CREATE USER 'app' IDENTIFIED BY 'Zq8-long-Secret'; -- Zq8-long-Secret"
    assert redact(text, {"Zq8-long-Secret"}) == f"CREATE USER 'app' IDENTIFIED BY '{MASK}'; -- {MASK}"


def test_a_longer_secret_is_masked_before_its_prefix() -> None:
    # Masking "abcd" first would leave "efgh" of the longer secret showing.
    assert redact("x abcdefgh y", {"abcd", "abcdefgh"}) == f"x {MASK} y"


def test_short_or_empty_secrets_are_not_masked_everywhere() -> None:
    assert redact("a bc 1 2 3", {"", "a", "bc"}) == "a bc 1 2 3"


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("test", logging.INFO, __file__, 1, msg, args, None)


def test_logging_filter_masks_the_formatted_message() -> None:
    entry = record("connecting with %s", "password=hunter22")
    assert RedactingFilter().filter(entry) is True
    assert entry.getMessage() == f"connecting with password={MASK}"


def test_logging_filter_leaves_clean_records_untouched() -> None:
    entry = record("server #%s ready", 7)
    RedactingFilter().filter(entry)
    assert (entry.msg, entry.args) == ("server #%s ready", (7,))


def test_the_panels_log_handler_redacts() -> None:
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, RedactingFilter) for handler in handlers for f in handler.filters)


def test_nginx_fastcgi_pass_stays_readable() -> None:
    line = "fastcgi_pass unix:/run/php/php8.2-fpm.sock;"
    assert redact(line) == line


# -- patterns that always look secret ---------------------------------------------------------------


def test_a_pgp_private_key_block_is_masked_whole() -> None:
    text = (
        "gpg --export-secret-keys:\n-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQdGBGS1abc\n=XyZ1\n"
        "-----END PGP PRIVATE KEY BLOCK-----\ndone\n"
    )
    assert redact(text) == f"gpg --export-secret-keys:\n{MASK}\ndone\n"


PUTTY_KEY = """PuTTY-User-Key-File-3: ssh-ed25519
Encryption: none
Comment: deploy@web-1
Public-Lines: 2
AAAAC3NzaC1lZDI1NTE5AAAAIAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd
efgh
Private-Lines: 1
AAAAIHN1cGVyIHNlY3JldCBwcml2YXRlIGtleSBtYXRlcmlhbA==
Private-MAC: 5a1f0c2e9b8d7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f
"""


def test_a_putty_key_keeps_its_public_part_and_loses_its_private_lines_and_mac() -> None:
    head = PUTTY_KEY.split("Private-Lines:")[0]
    assert redact(PUTTY_KEY) == f"{head}{MASK}\n"


def test_a_putty_key_cut_short_is_masked_to_the_end() -> None:
    cut = PUTTY_KEY.split("Private-MAC:")[0]
    assert redact(cut) == cut.split("Private-Lines:")[0] + MASK


def test_the_end_of_a_key_whose_start_was_cut_off_is_masked_from_the_start() -> None:
    # A window on a long output that begins inside a key: its body lines must not show.
    window = "QyNTUxOQAAACBmZXJyZXQ\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\nnext line\n"
    assert redact(window) == f"{MASK}\nnext line\n"


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("mysql://app:s3cr3t-pw@db.internal:3306/app", f"mysql://app:{MASK}@db.internal:3306/app"),
        ("REDIS_URL=redis://:hunter22@10.0.0.5:6379/0", f"REDIS_URL=redis://:{MASK}@10.0.0.5:6379/0"),
        (
            "git clone https://deploy:ghp_abc123@github.com/acme/app.git",
            f"git clone https://deploy:{MASK}@github.com/acme/app.git",
        ),
    ],
)
def test_credentials_in_urls_are_masked(text: str, clean: str) -> None:
    assert redact(text) == clean


@pytest.mark.parametrize(
    "text",
    [
        "curl https://example.com:8443/path?mail=a@b.example",
        "git@github.com:acme/app.git",
        "ssh://git@example.com:2222/acme/app.git",
    ],
)
def test_urls_without_credentials_stay_readable(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("mysql -u root -phunter22 -e 'SELECT 1'", f"mysql -u root -p{MASK} -e 'SELECT 1'"),
        ("mysqldump -uroot -p'my pass word' --all-databases", f"mysqldump -uroot -p{MASK} --all-databases"),
        ('mariadb -h 127.0.0.1 -p"a b\\"c" app', f"mariadb -h 127.0.0.1 -p{MASK} app"),
        (
            "/usr/bin/mariadb-dump -u app -pZq8-long app > app.sql",
            f"/usr/bin/mariadb-dump -u app -p{MASK} app > app.sql",
        ),
    ],
)
def test_a_password_attached_to_a_mysql_clients_p_is_masked(text: str, clean: str) -> None:
    assert redact(text) == clean


@pytest.mark.parametrize(
    "text",
    [
        "mkdir -p /var/www/app",
        "ssh -p 2222 root@203.0.113.10",
        "gcc -pipe -O2 -o app app.c",
        "cp -pr /etc/nginx /root/nginx-backup",
        "mysql -u root -p",  # asks for the password: nothing to mask
        "mysql -h db -P 3306 -u app app",
    ],
)
def test_ordinary_dash_p_options_stay_readable(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        (
            "CREATE USER 'app'@'%' IDENTIFIED BY 'it''s a secret';",
            f"CREATE USER 'app'@'%' IDENTIFIED BY '{MASK}';",
        ),
        ("ALTER USER app IDENTIFIED BY 'it\\'s a secret';", f"ALTER USER app IDENTIFIED BY '{MASK}';"),
        (
            'GRANT ALL ON app.* TO app IDENTIFIED BY "say \\"hi\\" now";',
            f'GRANT ALL ON app.* TO app IDENTIFIED BY "{MASK}";',
        ),
        (
            "identified by password '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
            f"identified by password '{MASK}'",
        ),
        (
            "IDENTIFIED VIA ed25519 USING PASSWORD('s3cret word')",
            f"IDENTIFIED VIA ed25519 USING PASSWORD('{MASK}')",
        ),
        (
            "ALTER ROLE app WITH LOGIN PASSWORD 'it''s secret';",
            f"ALTER ROLE app WITH LOGIN PASSWORD '{MASK}';",
        ),
        ("ALTER ROLE app PASSWORD E'back\\\\slash and it''s';", f"ALTER ROLE app PASSWORD E'{MASK}';"),
        (
            "mysql -e 'CREATE USER app IDENTIFIED BY '\"'\"'it'\"'\"''\"'\"'s secret'\"'\"''",
            "mysql -e 'CREATE USER app IDENTIFIED BY '\"'\"'" + MASK + "'\"'\"''",
        ),
    ],
)
def test_passwords_in_sql_are_masked_whole(text: str, clean: str) -> None:
    assert redact(text) == clean


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig-nature", f"Authorization: Bearer {MASK}"),
        (
            "curl -H 'Authorization: Basic dXNlcjpwYXNz' https://x",
            f"curl -H 'Authorization: Basic {MASK}' https://x",
        ),
        ('{"authorization": "bearer abc.def.ghi"}', f'{{"authorization": "bearer {MASK}"}}'),
    ],
)
def test_authorization_headers_are_masked(text: str, clean: str) -> None:
    assert redact(text) == clean


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ('DB_PASSWORD="my secret pass"', f'DB_PASSWORD="{MASK}"'),
        ("DB_PASSWORD='my secret pass' php artisan migrate", f"DB_PASSWORD='{MASK}' php artisan migrate"),
        ("DB_PASSWORD='it'\"'\"'s secret'", f"DB_PASSWORD='{MASK}'"),
        ("APP_KEY=base64:Zm9vYmFyYmF6cXV4", f"APP_KEY={MASK}"),
        ("AWS_SECRET_ACCESS_KEY='wJalr XUtnFEMI'", f"AWS_SECRET_ACCESS_KEY='{MASK}'"),
        ("STRIPE_SECRET=sk_live_abc", f"STRIPE_SECRET={MASK}"),
        ("GITHUB_TOKEN=ghp_abcdef ./deploy.sh", f"GITHUB_TOKEN={MASK} ./deploy.sh"),
        ('MAIL_PASSWORD: "quoted: with spaces"', f'MAIL_PASSWORD: "{MASK}"'),
        ('DB_PASSWORD="cut short', f'DB_PASSWORD="{MASK}'),
        ("secret_key = 'django-insecure-x y'", f"secret_key = '{MASK}'"),
        ("SECRET_KEY = 'django-insecure-x y'", f"SECRET_KEY = '{MASK}'"),
    ],
)
def test_secret_assignments_are_masked_with_their_quoted_value_whole(text: str, clean: str) -> None:
    assert redact(text) == clean


@pytest.mark.parametrize(
    "text",
    [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ3ZmE5ODc2NTQzMjEwZmVkY2JhOTg3NjU0MzIx brokeforge@web-1",
        "models.AutoField(primary_key=True)",
        "DB_PASSWORD=",
        "Reading package lists... Done\nThe following NEW packages will be installed: mariadb-server",
        "fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;",
    ],
)
def test_ordinary_lines_stay_readable(text: str) -> None:
    assert redact(text) == text


def test_masking_twice_changes_nothing() -> None:
    text = "DB_PASSWORD='a b' mysql -pfoo1 https://u:p@h IDENTIFIED BY 'x'"
    assert redact(redact(text)) == redact(text)
