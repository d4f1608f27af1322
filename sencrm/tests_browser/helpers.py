"""Helpers of the browser tests: logging in through the form, dragging with a real mouse."""

from django.urls import reverse

from sencrm.common.testing import PASSWORD


def log_in(page, user) -> None:
    page.goto(reverse("login"))
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.get_by_test_id("home").wait_for()


def drag(page, source, target) -> None:
    """Drag ``source`` onto ``target`` with real pointer events, in small steps (SortableJS's
    fallback mode follows the mouse, as it would a finger)."""
    source.scroll_into_view_if_needed()
    start = source.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 20, steps=5)
    target.scroll_into_view_if_needed()
    end = target.bounding_box()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=25)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 35, steps=5)
    page.mouse.up()
