"""The benchmark's scenarios: what a user (or a program) does, as lists of HTTP requests.

Each scenario is a deterministic list of requests (ids and search prefixes drawn from a seeded
generator over the data set's known id ranges); creates carry ``{n}`` in their body, replaced
by a number unique to each request, so every one creates a new, valid record. The same lists
drive ``wrk`` (``load``) and the in-process query-count guard (``guard``).

``target`` holds the issue's goals: ``p95_ms`` at concurrency 1, ``rps`` at concurrency 16.
"""

import json
import random
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sencrm.common.text import fold
from sencrm.crm.demo import names as N

SEED = 44


@dataclass
class Request:
    method: str
    path: str
    body: str | None = None


@dataclass
class Scenario:
    name: str
    title: str
    auth: str  # "none", "session" (the admin's), "rep" (a sales rep's session), "token"
    requests: list[Request]
    group: str  # list, search, view, write, page, get, ceiling
    p95_ms: float | None = None
    rps: float | None = None
    content_type: str | None = None
    expect: tuple[int, ...] = (200,)
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def is_api(self) -> bool:
        return self.auth == "token"


def search_prefixes(rng: random.Random, count: int) -> list[str]:
    """What people type into the search box, letter by letter, without accents: 'ng', 'nguy', …"""
    words = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.45:
            family = rng.choice(N._SURNAMES_COMMON)[0]
            given = rng.choice(N.GIVEN_NAMES[rng.choice("mf")])
            words.append(fold(f"{family} {given}" if rng.random() < 0.5 else given))
        elif roll < 0.75:
            words.append(fold(rng.choice(N.BRAND_FIRST) + " " + rng.choice(N.BRAND_SECOND)))
        elif roll < 0.9:
            words.append(fold("cong ty " + rng.choice(N.BRAND_FIRST)))
        else:
            words.append("09" + str(rng.randrange(10**6)).zfill(6))
    prefixes = []
    for word in words:
        cut = rng.randint(2, len(word))
        prefixes.append(word[:cut].strip() or word[:2])
    return prefixes


def build_scenarios(counts: dict, context: dict, *, samples: int = 500) -> list[Scenario]:
    """The scenarios for a data set of ``counts`` rows; ``context`` gives stage ids and the like."""
    rng = random.Random(SEED)
    contacts, accounts = counts["contacts"], counts["accounts"]
    opportunities = counts["opportunities"]

    def ids(n: int) -> list[int]:
        return [rng.randint(1, n) for _ in range(samples)]

    contact_ids, account_ids, opp_ids = ids(contacts), ids(accounts), ids(opportunities)
    prefixes = search_prefixes(rng, samples)
    stages = context["open_stages"]
    province = context.get("province", 79)
    filter_sort = f"province={province}&sort=-created_at"
    form = {
        "salutation": "anh",
        "family_name": "Phạm",
        "middle_name": "Văn",
        "given_name": "Thử{n}",
        "mobile": "056{n}",
        "email": "thu{n}@example.vn",
        "preferred_channel": "zalo",
        "owner": str(context["admin_id"]),
    }
    html_create = urlencode(form).replace("%7Bn%7D", "{n}")
    api_create = json.dumps(
        {
            "salutation": "anh",
            "family_name": "Phạm",
            "middle_name": "Văn",
            "given_name": "Thử{n}",
            "mobile": "058{n}",
            "email": "api{n}@example.vn",
        },
        ensure_ascii=False,
    )

    def moves(api: bool) -> list[Request]:
        out = []
        for i, pk in enumerate(opp_ids):
            stage = stages[i % len(stages)]
            if api:
                out.append(
                    Request("POST", f"/api/v1/opportunities/{pk}/move", json.dumps({"stage_id": stage}))
                )
            else:
                out.append(Request("POST", f"/opportunities/{pk}/move/", urlencode({"stage": stage})))
        return out

    form_type = "application/x-www-form-urlencoded"
    return [
        Scenario("ceiling", "Trivial endpoint (ceiling)", "none", [Request("GET", "/healthz")], "ceiling"),
        Scenario("contact_list", "Contacts list (default sort)", "session", [Request("GET", "/contacts/")],
                 "list", 25, 400),
        Scenario("contact_list_rep", "Contacts list, sales rep (own records)", "rep",
                 [Request("GET", "/contacts/")], "list", 25, 400),
        Scenario("contact_list_filter", "Contacts list, filter + sort on another column", "session",
                 [Request("GET", f"/contacts/?{filter_sort}")], "list", 25, 400),
        Scenario("search", "Global search as you type", "session",
                 [Request("GET", "/search/suggest/?" + urlencode({"q": p})) for p in prefixes], "search", 50),
        Scenario("contact_360", "Contact 360° view", "session",
                 [Request("GET", f"/contacts/{pk}/") for pk in contact_ids], "view", 50),
        Scenario("contact_timeline", "Contact 360° timeline (loaded with the view)", "session",
                 [Request("GET", f"/contacts/{pk}/timeline/") for pk in contact_ids], "view", 50),
        Scenario("account_360", "Account 360° view", "session",
                 [Request("GET", f"/accounts/{pk}/") for pk in account_ids], "view", 50),
        Scenario("account_timeline", "Account 360° timeline (loaded with the view)", "session",
                 [Request("GET", f"/accounts/{pk}/timeline/") for pk in account_ids], "view", 50),
        Scenario("contact_create", "Create contact (form)", "session",
                 [Request("POST", "/contacts/new/", html_create)], "write", 25, 200,
                 content_type=form_type, expect=(302,)),
        Scenario("opportunity_move", "Update an opportunity's stage (form)", "session", moves(False),
                 "write", 25, content_type=form_type, expect=(302,)),
        Scenario("board", "Kanban board of the main pipeline", "session",
                 [Request("GET", "/opportunities/board/")], "page", 100),
        Scenario("home", "Home page", "session", [Request("GET", "/")], "page", 100),
        Scenario("api_contact_list", "API: list contacts", "token", [Request("GET", "/api/v1/contacts")],
                 "list", 25, 1000),
        Scenario("api_contact_list_filter", "API: list contacts, filter + sort", "token",
                 [Request("GET", f"/api/v1/contacts?{filter_sort}")], "list", 25, 1000),
        Scenario("api_search", "API: search", "token",
                 [Request("GET", "/api/v1/search?" + urlencode({"q": p})) for p in prefixes], "search", 50),
        Scenario("api_contact_get", "API: get one contact", "token",
                 [Request("GET", f"/api/v1/contacts/{pk}") for pk in contact_ids], "get", 50, 1000),
        Scenario("api_account_get", "API: get one account", "token",
                 [Request("GET", f"/api/v1/accounts/{pk}") for pk in account_ids], "get", 50, 1000),
        Scenario("api_contact_create", "API: create contact", "token",
                 [Request("POST", "/api/v1/contacts", api_create)], "write", 25, 200,
                 content_type="application/json", expect=(201,)),
        Scenario("api_opportunity_move", "API: move an opportunity", "token", moves(True), "write", 25,
                 content_type="application/json"),
    ]  # fmt: skip


def fill_body(body: str | None, n: int) -> str | None:
    """A request body with its ``{n}`` made unique (the Lua script does the same)."""
    return body.replace("{n}", str(n)) if body else body
