"""What the browser tests share: signing in as a person does (password, then the code step when
two-factor sign-in is on) and keeping screenshots to look at."""

import os
import re
from base64 import b32decode

from playwright.sync_api import expect

from accounts import selectors, services
from accounts.tests.factories import TEST_PASSWORD, TEST_TOTP_KEY


def log_in(page, base_url: str, user, *, key_hex: str = TEST_TOTP_KEY) -> None:
    """Email and password on the login page, then the authenticator's current code if asked."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if selectors.has_two_factor(user):
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        page.get_by_label("Code").fill(services.current_code(key_hex))
        page.get_by_role("button", name="Continue").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))  # the password step and the code step


def keep_a_picture(page, name: str) -> None:
    """SCREENSHOTS=<folder> keeps full-page screenshots to look at."""
    if folder := os.environ.get("SCREENSHOTS"):
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def key_as_hex(shown: str) -> str:
    """The base32 key a two-factor setup page shows, as an authenticator app reads it."""
    compact = re.sub(r"\s", "", shown)
    return b32decode(compact + "=" * (-len(compact) % 8)).hex()


def set_up_two_factor(page) -> list[str]:
    """On the setup page: type the shown key into an 'app', confirm its code, keep the backup codes."""
    key_hex = key_as_hex(page.get_by_label("Setup key").inner_text())
    page.get_by_label("Code").fill(services.current_code(key_hex))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    return page.get_by_role("list", name="Backup codes").locator("code").all_inner_texts()
