"""HTTP load from a separate process: ``wrk`` with a Lua script per scenario, plus a small client.

The script cycles through the scenario's requests (each thread from its own offset), sends the
session cookie and CSRF token or the API bearer token, makes every create's ``{n}`` unique,
counts answers with an unexpected status, and prints one JSON line (``BENCH {...}``) with the
latency percentiles, requests, duration and errors.
"""

import http.client
import json
import shutil
import subprocess
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from sencrm.bench.scenarios import Scenario

LUA = r"""
local reqs = {
%(requests)s
}
local headers = {
%(headers)s
}
local expected = {%(expected)s}
local threads = {}
local created = 0
function setup(thread)
  created = created + 1
  thread:set("tid", created)
  table.insert(threads, thread)
end
function init(args)
  idx = (tid * 7919) %% #reqs
  n = (tonumber(args[1]) or 1000000) + tid * 100000
  bad = 0
  last_bad = 0
end
function request()
  idx = idx %% #reqs + 1
  local r = reqs[idx]
  local body = r[3]
  if body ~= nil then
    n = n + 1
    body = (string.gsub(body, "{n}", tostring(n)))
  end
  return wrk.format(r[1], r[2], headers, body)
end
function response(status, hdrs, body)
  if not expected[status] then
    bad = bad + 1
    last_bad = status
  end
end
function done(summary, latency, requests)
  local unexpected, status = 0, 0
  for _, t in ipairs(threads) do
    unexpected = unexpected + t:get("bad")
    if t:get("last_bad") ~= 0 then status = t:get("last_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "mean_us": %%.1f, "errors_connect": %%d, "errors_read": %%d, "errors_write": %%d, ' ..
    '"errors_timeout": %%d, "unexpected": %%d, "unexpected_status": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.timeout,
    unexpected, status))
end
"""


def _lua_string(value: str) -> str:
    level = "=" * 3
    while f"]{level}]" in value:
        level += "="
    return f"[{level}[{value}]{level}]"


def lua_script(scenario: Scenario, headers: dict[str, str]) -> str:
    rows = []
    for r in scenario.requests:
        body = "nil" if r.body is None else _lua_string(r.body)
        rows.append(f"  {{{_lua_string(r.method)}, {_lua_string(r.path)}, {body}}},")
    return LUA % {
        "requests": "\n".join(rows),
        "headers": "\n".join(f"  [ {_lua_string(k)} ] = {_lua_string(v)}," for k, v in headers.items()),
        "expected": ", ".join(f"[{code}] = true" for code in scenario.expect),
    }


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    scenario: Scenario,
    headers: dict[str, str],
    *,
    port: int,
    connections: int,
    seconds: float,
    workdir: Path,
    base: int,
) -> dict:
    """One wrk run of ``scenario``; returns its figures (latencies in ms, req/s, errors)."""
    script = workdir / f"{scenario.name}.lua"
    script.write_text(lua_script(scenario, headers))
    threads = 1 if connections == 1 else 2
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(script), f"http://127.0.0.1:{port}", "--", str(base),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed for {scenario.name}: {done.stdout}\n{done.stderr}")
    raw = json.loads(line[6:])
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout"))
    return {
        "connections": connections,
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "rps": round(raw["requests"] / seconds_run, 1) if seconds_run else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": errors + raw["unexpected"],
        "unexpected_status": raw["unexpected_status"] or None,
    }


# ---------------------------------------------------------------------------------------------------
# A small HTTP client for logging in, imports and exports
# ---------------------------------------------------------------------------------------------------


class Client:
    """Just enough of a browser: cookies, the CSRF token, a bearer token."""

    def __init__(self, port: int, token: str | None = None):
        self.port, self.token = port, token
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        conn.close()
        return response.status, data, response.headers

    def login(self, username: str, password: str) -> dict[str, str]:
        """Log in through the login page (once per run: django-axes limits attempts)."""
        self.request("GET", "/login/")
        token = self.cookies.get("csrftoken", "")
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
        status, data, _headers = self.request(
            "POST",
            "/login/",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"logging in as {username} failed ({status})")
        return {
            "Cookie": f"sessionid={self.cookies['sessionid']}; csrftoken={self.cookies['csrftoken']}",
            "X-CSRFToken": self.cookies["csrftoken"],
        }

    def json(self, method: str, path: str, body=None, headers=None):
        status, data, _ = self.request(method, path, body, headers)
        return status, (json.loads(data) if data else None)

    def multipart(self, path: str, fields: dict[str, str], filename: str, content: bytes):
        boundary = "----senbench7c1d"
        parts = []
        for key, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n')
        head = "".join(parts) + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        )
        body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.json("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
