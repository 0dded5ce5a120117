"""The command-line client, run as a process against a live server.

Every test runs `$SPACELINKS_BIN files|links|share|completions ...` with
SPACELINKS_URL / SPACELINKS_API_KEY in the environment, then checks what it
printed, its exit code, and the server's state through the HTTP API.
"""
import datetime as dt
import http.server
import json
import os
import pty
import re
import secrets
import select
import shutil
import subprocess
import termios
import threading
import time

import pytest
import requests

from conftest import free_port

BIN = os.environ.get("SPACELINKS_BIN", "")

# Exit codes documented in `spacelinks --help`.
USAGE, AUTH, NOT_FOUND, REFUSED, NETWORK, OTHER = 2, 3, 4, 5, 6, 1


def cli_env(server, api_key, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPACELINKS_", "DOCSPACE_"))}
    env.update(SPACELINKS_URL=server.base_url, SPACELINKS_API_KEY=api_key, NO_COLOR="1")
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def run(server, api_key, *args, input=None, env=None, cwd=None, binary=False):
    """Runs the CLI; stdin is empty unless `input` is given."""
    return subprocess.run(
        [BIN, *map(str, args)],
        env=env or cli_env(server, api_key),
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=not binary,
        timeout=60,
        cwd=cwd,
    )


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


class Api:
    """The server's state, read and set directly over HTTP."""

    def __init__(self, server, api_key):
        self.base = server.base_url
        self.h = {"Authorization": f"Bearer {api_key}"}

    def get(self, path, **kw):
        r = requests.get(f"{self.base}{path}", headers=self.h, **kw)
        r.raise_for_status()
        return r.json()

    def file(self, file_id):
        return self.get(f"/api/2.0/files/file/{file_id}")["response"]

    def content(self, file_id):
        r = requests.get(f"{self.base}/filehandler.ashx", params={"action": "download", "fileid": file_id}, headers=self.h)
        r.raise_for_status()
        return r.content

    def my(self):
        return self.get("/api/2.0/files/@my")["response"]

    def links(self, file_id):
        return self.get(f"/api/2.0/files/file/{file_id}/links")["response"]

    def link(self, file_id, url):
        found = [l for l in self.links(file_id) if l["sharedLink"]["shareLink"] == url]
        assert len(found) == 1, f"{url} not among the links of file {file_id}"
        return found[0]

    def put_link(self, file_id, body):
        r = requests.put(f"{self.base}/api/2.0/files/file/{file_id}/links", json=body, headers=self.h)
        r.raise_for_status()
        return r.json().get("response")

    def new_folder(self, title):
        my_id = self.my()["current"]["id"]
        r = requests.post(f"{self.base}/api/2.0/files/folder/{my_id}", json={"title": title}, headers=self.h)
        r.raise_for_status()
        return r.json()["response"]["id"]

    def upload(self, name, data):
        r = requests.post(f"{self.base}/api/2.0/files/@my/upload", files={"File": (name, data)}, headers=self.h)
        r.raise_for_status()
        return r.json()["response"][0]["id"]


@pytest.fixture
def api(server, api_key):
    return Api(server, api_key)


@pytest.fixture
def a_file(api):
    """A fresh text file on the server; its id."""
    return api.upload(f"doc-{secrets.token_hex(4)}.txt", b"some text\n")


def parse_api_date(s):
    # 7 fractional digits: cut to microseconds for Python.
    m = re.match(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", s)
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return dt.datetime.fromisoformat(f"{m.group(1)}.{frac}{tz}")


def share_url_line(stdout):
    return stdout.splitlines()[0].strip()


# ---------------------------------------------------------------- files


def test_upload_prints_the_new_id_and_the_server_has_the_bytes(server, api_key, api, tmp_path):
    data = os.urandom(300_000)  # bigger than one read buffer: the upload streams
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    out = ok(run(server, api_key, "files", "upload", path))
    assert re.fullmatch(r"\d+\n", out), out
    file_id = int(out)
    info = api.file(file_id)
    assert info["title"] == "blob.bin"
    assert info["pureContentLength"] == len(data)
    assert info["folderId"] == api.my()["current"]["id"]
    assert api.content(file_id) == data


def test_upload_into_a_folder_and_list_it(server, api_key, api, tmp_path):
    folder_id = api.new_folder(f"cli-folder-{secrets.token_hex(3)}")
    path = tmp_path / "in-folder.txt"
    path.write_text("inside\n")
    file_id = int(ok(run(server, api_key, "files", "upload", path, "--folder", folder_id)))
    assert api.file(file_id)["folderId"] == folder_id
    out = ok(run(server, api_key, "files", "ls", folder_id))
    lines = out.splitlines()
    assert lines[0].split() == ["TYPE", "ID", "SIZE", "TITLE"]
    assert lines[1].split() == ["file", str(file_id), "7", "in-folder.txt"]
    assert len(lines) == 2


def test_uploading_the_same_name_twice_makes_two_files(server, api_key, api, tmp_path):
    path = tmp_path / "twice.txt"
    path.write_text("one")
    first = int(ok(run(server, api_key, "files", "upload", path)))
    path.write_text("two")
    second = int(ok(run(server, api_key, "files", "upload", path)))
    assert first != second
    assert api.content(first) == b"one" and api.content(second) == b"two"


def test_files_ls_shows_my_documents_folders_and_files(server, api_key, api, tmp_path):
    folder_title = f"ls-folder-{secrets.token_hex(3)}"
    folder_id = api.new_folder(folder_title)
    file_id = api.upload("ls me.txt", b"12345")
    out = ok(run(server, api_key, "files", "ls"))
    rows = [re.split(r"\s{2,}", l.strip()) for l in out.splitlines()]
    assert rows[0] == ["TYPE", "ID", "SIZE", "TITLE"]
    assert ["folder", str(folder_id), "-", folder_title] in rows
    assert ["file", str(file_id), "5", "ls me.txt"] in rows
    # Folders come first, as in DocSpace's listing.
    kinds = [r[0] for r in rows[1:]]
    assert kinds == sorted(kinds, key=lambda k: k != "folder")
    # Everything the server lists, the CLI lists.
    my = api.my()
    assert len(rows) - 1 == len(my["files"]) + len(my["folders"])


def test_files_ls_json_is_the_folder_content(server, api_key, api):
    import json

    out = json.loads(ok(run(server, api_key, "files", "ls", "--json")))
    my = api.my()
    assert out["current"]["id"] == my["current"]["id"]
    assert [f["id"] for f in out["files"]] == [f["id"] for f in my["files"]]


def test_files_ls_of_an_empty_folder(server, api_key, api):
    folder_id = api.new_folder(f"empty-{secrets.token_hex(3)}")
    assert ok(run(server, api_key, "files", "ls", folder_id)) == f"folder {folder_id} is empty.\n"


def test_files_get_saves_under_the_server_name_and_never_clobbers(server, api_key, api, tmp_path):
    data = b"report body\n" * 1000
    file_id = api.upload("отчёт 2026.txt", data)
    out = ok(run(server, api_key, "files", "get", file_id, cwd=tmp_path))
    saved = tmp_path / "отчёт 2026.txt"
    assert saved.read_bytes() == data
    assert out.strip() == f"отчёт 2026.txt ({len(data)} bytes)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["отчёт 2026.txt"]  # no partial files left

    saved.write_bytes(b"mine")
    r = run(server, api_key, "files", "get", file_id, cwd=tmp_path)
    assert r.returncode == OTHER
    assert "already exists" in r.stderr
    assert saved.read_bytes() == b"mine"

    ok(run(server, api_key, "files", "get", file_id, "-o", saved))  # an explicit -o overwrites
    assert saved.read_bytes() == data

    sub = tmp_path / "sub"
    sub.mkdir()
    ok(run(server, api_key, "files", "get", file_id, "-o", sub))
    assert (sub / "отчёт 2026.txt").read_bytes() == data


def test_files_get_to_stdout(server, api_key, api):
    data = os.urandom(70_000)
    file_id = api.upload("raw.bin", data)
    r = run(server, api_key, "files", "get", file_id, "-o", "-", binary=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data


# ---------------------------------------------------------------- links


def test_links_ls_table_and_json(server, api_key, api, a_file):
    import json

    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).replace(microsecond=0)
    first = api.put_link(a_file, {"access": 2, "title": "For the team", "password": "team-pass-1", "expirationDate": expires.isoformat()})
    second = api.put_link(a_file, {"access": 10, "denyDownload": True, "internal": True})
    out = ok(run(server, api_key, "links", "ls", a_file))
    lines = out.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["ID", "TITLE", "ACCESS", "EXPIRES", "PASSWORD", "DENY-DL", "INTERNAL", "PRIMARY", "USES", "URL"]
    rows = {r[0]: r for r in (re.split(r"\s{2,}", l.strip()) for l in lines[1:])}
    a, b = first["sharedLink"], second["sharedLink"]
    assert rows[a["id"]] == [a["id"], "For the team", "read", expires.strftime("%Y-%m-%d %H:%M UTC"), "yes", "no", "no", "no", "0", a["shareLink"]]
    assert rows[b["id"]] == [b["id"], "Shared link", "edit", "never", "no", "yes", "yes", "no", "0", b["shareLink"]]
    assert "team-pass-1" not in out  # the table says yes/no, never the password

    raw = json.loads(ok(run(server, api_key, "links", "ls", a_file, "--json")))
    assert raw == api.links(a_file)


def test_links_ls_without_links(server, api_key, a_file):
    assert ok(run(server, api_key, "links", "ls", a_file)) == f"File {a_file} has no external links.\n"
    assert ok(run(server, api_key, "links", "ls", a_file, "--json")).strip() == "[]"


def test_links_create_with_defaults(server, api_key, api, a_file):
    out = ok(run(server, api_key, "links", "create", a_file))
    url = out.strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/s/\S+", url), out
    link = api.link(a_file, url)
    s = link["sharedLink"]
    assert link["access"] == 2
    assert (s["title"], s["denyDownload"], s["internal"], s["primary"]) == ("Shared link", False, False, False)
    assert "expirationDate" not in s and "password" not in s
    # The URL works for an anonymous visitor.
    assert requests.get(url, allow_redirects=False).status_code == 302


def test_links_create_with_every_option(server, api_key, api, a_file):
    day = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)).date()
    url = ok(run(server, api_key, "links", "create", a_file, "--access", "edit", "--title", "Reviewers",
                 "--expires", day.isoformat(), "--deny-download", "--internal", "--primary")).strip()
    link = api.link(a_file, url)
    s = link["sharedLink"]
    assert link["access"] == 10 and link["subjectType"] == 4
    assert (s["title"], s["denyDownload"], s["internal"], s["primary"]) == ("Reviewers", True, True, True)
    # A plain date means the end of that day, UTC.
    assert parse_api_date(s["expirationDate"]) == dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone.utc)


@pytest.mark.parametrize("access,number", [("read", 2), ("comment", 6), ("review", 5), ("edit", 10), ("view", 2)])
def test_links_create_access_levels(server, api_key, api, a_file, access, number):
    url = ok(run(server, api_key, "links", "create", a_file, "--access", access)).strip()
    assert api.link(a_file, url)["access"] == number


def test_links_create_with_a_duration(server, api_key, api, a_file):
    before = dt.datetime.now(dt.timezone.utc)
    url = ok(run(server, api_key, "links", "create", a_file, "--expires", "12h")).strip()
    after = dt.datetime.now(dt.timezone.utc)
    expiry = parse_api_date(api.link(a_file, url)["sharedLink"]["expirationDate"])
    assert before + dt.timedelta(hours=12) - dt.timedelta(seconds=1) <= expiry <= after + dt.timedelta(hours=12)


def test_links_create_json(server, api_key, api, a_file):
    import json

    link = json.loads(ok(run(server, api_key, "links", "create", a_file, "--title", "as json", "--json")))
    assert link["sharedLink"]["title"] == "as json"
    assert link == api.link(a_file, link["sharedLink"]["shareLink"])


def test_password_file(server, api_key, api, a_file, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("file-secret-1\n")  # the trailing newline is not part of the password
    url = ok(run(server, api_key, "links", "create", a_file, "--password-file", pw)).strip()
    assert api.link(a_file, url)["sharedLink"]["password"] == "file-secret-1"


def test_password_file_missing_or_empty(server, api_key, api, a_file, tmp_path):
    r = run(server, api_key, "links", "create", a_file, "--password-file", tmp_path / "nope")
    assert r.returncode == OTHER and "cannot read the password file" in r.stderr
    empty = tmp_path / "empty"
    empty.write_text("\n")
    r = run(server, api_key, "links", "create", a_file, "--password-file", empty)
    assert r.returncode == USAGE and "empty" in r.stderr
    assert api.links(a_file) == []


def test_password_prompt_reads_stdin_when_it_is_not_a_terminal(server, api_key, api, a_file):
    r = run(server, api_key, "links", "create", a_file, "--password-prompt", input="stdin-secret-1\n")
    url = ok(r).strip()
    assert re.fullmatch(r"http://\S+", url)  # no prompt mixed into stdout
    assert api.link(a_file, url)["sharedLink"]["password"] == "stdin-secret-1"


def read_pty_until(fd, out, predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate(out):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; terminal so far: {out!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                return out
            if not chunk:
                return out
            out += chunk
    return out


def wait_for_no_echo(fd, timeout=20):
    # rpassword prints the prompt, then turns echo off: type only after that.
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        assert time.monotonic() < deadline, "echo never turned off"
        time.sleep(0.01)


def test_password_prompt_on_a_terminal_asks_twice_without_echo(server, api_key, api, a_file):
    env = cli_env(server, api_key)
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and controlling terminal are the pty
        os.execve(BIN, [BIN, "links", "create", str(a_file), "--password-prompt"], env)
    try:
        out = read_pty_until(fd, b"", lambda o: b"Link password: " in o)
        wait_for_no_echo(fd)
        os.write(fd, b"tty-secret-1\n")
        out = read_pty_until(fd, out, lambda o: b"Repeat the password: " in o)
        wait_for_no_echo(fd)
        os.write(fd, b"tty-secret-1\n")
        out = read_pty_until(fd, out, lambda o: False)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, out
    assert b"tty-secret-1" not in out  # never echoed
    url = re.search(rb"http://\S+", out).group().decode()
    assert api.link(a_file, url)["sharedLink"]["password"] == "tty-secret-1"


def test_links_set_changes_only_what_is_given(server, api_key, api, a_file):
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=5)).replace(microsecond=0)
    created = api.put_link(a_file, {"access": 6, "title": "Keep me", "password": "keep-pass-1", "expirationDate": expires.isoformat()})
    link_id = created["sharedLink"]["id"]

    out = ok(run(server, api_key, "links", "set", a_file, link_id, "--deny-download"))
    assert link_id in out and "Keep me" in out
    s = api.links(a_file)[0]["sharedLink"]
    assert s["denyDownload"] is True
    assert (s["title"], s["password"], api.links(a_file)[0]["access"]) == ("Keep me", "keep-pass-1", 6)
    assert parse_api_date(s["expirationDate"]) == expires

    ok(run(server, api_key, "links", "set", a_file, link_id.upper(), "--no-password", "--no-expiry", "--allow-download",
           "--access", "read", "--title", "Renamed", "--internal"))
    [link] = api.links(a_file)
    s = link["sharedLink"]
    assert link["access"] == 2
    assert (s["id"], s["title"], s["denyDownload"], s["internal"]) == (link_id, "Renamed", False, True)
    assert "password" not in s and "expirationDate" not in s

    ok(run(server, api_key, "links", "set", a_file, link_id, "--password-file", "-", "--no-internal", input="new-pass-12\n"))
    s = api.links(a_file)[0]["sharedLink"]
    assert (s["password"], s["internal"], s["title"]) == ("new-pass-12", False, "Renamed")
    assert s["shareLink"] == created["sharedLink"]["shareLink"]  # the URL never changes


def test_links_set_needs_a_change_and_an_existing_link(server, api_key, api, a_file):
    link_id = api.put_link(a_file, {"access": 2})["sharedLink"]["id"]
    r = run(server, api_key, "links", "set", a_file, link_id)
    assert r.returncode == USAGE and "nothing to change" in r.stderr
    unknown = "5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f"
    r = run(server, api_key, "links", "set", a_file, unknown, "--access", "edit")
    assert r.returncode == NOT_FOUND
    assert f"file {a_file} has no link {unknown}" in r.stderr
    assert [l["sharedLink"]["id"] for l in api.links(a_file)] == [link_id]  # nothing was created
    r = run(server, api_key, "links", "set", a_file, link_id, "--no-expiry", "--expires", "7d")
    assert r.returncode == USAGE and "cannot be used with" in r.stderr


def test_links_download_limit_and_networks(server, api_key, api, a_file):
    url = ok(run(server, api_key, "links", "create", a_file, "--max-uses", "2",
                 "--allow-network", "192.0.2.0/24", "--allow-network", "2001:db8::1")).strip()
    s = api.link(a_file, url)["sharedLink"]
    assert (s["maxUseCount"], s["currentUseCount"]) == (2, 0)
    assert s["allowedNetworks"] == ["192.0.2.0/24", "2001:db8::1/128"]
    out = ok(run(server, api_key, "links", "ls", a_file))
    assert " 0/2 " in out

    # set: only what is given; the list is replaced, then cleared; the limit removed.
    ok(run(server, api_key, "links", "set", a_file, s["id"], "--allow-network", "127.0.0.1"))
    s = api.link(a_file, url)["sharedLink"]
    assert (s["maxUseCount"], s["allowedNetworks"]) == (2, ["127.0.0.1/32"])
    ok(run(server, api_key, "links", "set", a_file, s["id"], "--max-uses", "none", "--any-network"))
    s = api.link(a_file, url)["sharedLink"]
    assert "maxUseCount" not in s and s["allowedNetworks"] == []

    # Bad values stop before anything is sent.
    for bad in (["--max-uses", "0"], ["--max-uses", "lots"], ["--allow-network", "10.0.0.0/33"]):
        r = run(server, api_key, "links", "set", a_file, s["id"], *bad)
        assert r.returncode == USAGE, (bad, r.stderr)
    r = run(server, api_key, "links", "set", a_file, s["id"], "--allow-network", "10.0.0.0/8", "--any-network")
    assert r.returncode == USAGE and "cannot be used with" in r.stderr


def test_links_revoke(server, api_key, api, a_file):
    keep = api.put_link(a_file, {"access": 2, "title": "keep"})["sharedLink"]
    gone = api.put_link(a_file, {"access": 2, "title": "gone"})["sharedLink"]
    assert requests.get(gone["shareLink"], allow_redirects=False).status_code == 302
    out = ok(run(server, api_key, "links", "revoke", a_file, gone["id"]))
    assert out == f"Revoked link {gone['id']}.\n"
    assert [l["sharedLink"]["id"] for l in api.links(a_file)] == [keep["id"]]
    assert requests.get(gone["shareLink"], allow_redirects=False).status_code != 302
    r = run(server, api_key, "links", "revoke", a_file, gone["id"])
    assert r.returncode == NOT_FOUND and "has no link" in r.stderr


def test_links_activity_table_and_json(server, api_key, api, a_file):
    link = api.put_link(a_file, {"access": 2, "title": "watched"})["sharedLink"]
    out = ok(run(server, api_key, "links", "activity", a_file, link["id"]))
    assert out == f"Link {link['id']} has no activity yet.\n"
    r = requests.get(
        f"{server.base_url}/api/2.0/files/share/{link['requestToken']}", headers={"User-Agent": "CliProbe/1.0"}
    )
    assert r.json()["response"]["status"] == 0
    # The access log is written in batches (up to 200 ms): wait for the event.
    deadline = time.time() + 10
    while "opened" not in (out := ok(run(server, api_key, "links", "activity", a_file, link["id"]))):
        assert time.time() < deadline, out
        time.sleep(0.2)
    header, row = out.splitlines()[:2]
    assert header.split() == ["WHEN", "EVENT", "IP", "BROWSER"]
    assert row.split()[3:] == ["opened", "127.0.0.1", "CliProbe/1.0"], row
    events = json.loads(ok(run(server, api_key, "links", "activity", a_file, link["id"], "--json")))
    assert [(e["kind"], e["ip"], e["userAgent"]) for e in events] == [("opened", "127.0.0.1", "CliProbe/1.0")]
    parse_api_date(events[0]["on"])
    r = run(server, api_key, "links", "activity", a_file, "00000000-0000-0000-0000-000000000000")
    assert r.returncode == NOT_FOUND, r.stderr
    r = run(server, api_key, "links", "activity", a_file, link["id"], "--count", "0")
    assert r.returncode == 2, r.stderr


# ---------------------------------------------------------------- share


def find_file(api, title):
    matches = [f for f in api.my()["files"] if f["title"] == title]
    assert len(matches) == 1, f"{title}: {matches}"
    return matches[0]


def test_share_uploads_and_links_in_one_step(server, api_key, api, tmp_path):
    name = f"shared-{secrets.token_hex(4)}.txt"
    path = tmp_path / name
    path.write_bytes(b"shared bytes")
    r = run(server, api_key, "share", path, "--expires", "7d", "--deny-download", "--title", "One step", "--password-prompt",
            input="share-pass-1\n")
    url = ok(r).strip()
    assert re.fullmatch(r"http://\S+/s/\S+", url)
    f = find_file(api, name)
    assert api.content(f["id"]) == b"shared bytes"
    s = api.link(f["id"], url)["sharedLink"]
    assert (s["title"], s["denyDownload"], s["password"]) == ("One step", True, "share-pass-1")
    assert parse_api_date(s["expirationDate"]) > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=6)


# ---------------------------------------------------------------- folder links (issue 12)


def test_links_of_a_folder_by_id_and_by_path(server, api_key, api):
    title = f"Album-{secrets.token_hex(3)}"
    folder = api.new_folder(title)
    r = requests.post(f"{api.base}/api/2.0/files/folder/{folder}", json={"title": "2024"}, headers=api.h)
    sub = r.json()["response"]["id"]
    assert "has no external links" in ok(run(server, api_key, "links", "ls", "--folder", folder))

    url = ok(run(server, api_key, "links", "create", "--folder", f"{title}/2024", "--title", "By path")).strip()
    links = api.get(f"/api/2.0/files/folder/{sub}/links")["response"]
    assert [l["sharedLink"]["shareLink"] for l in links] == [url]
    link_id = links[0]["sharedLink"]["id"]

    table = ok(run(server, api_key, "links", "ls", "--folder", sub))
    assert link_id in table and "By path" in table
    ok(run(server, api_key, "links", "set", "--folder", sub, link_id, "--deny-download"))
    assert api.get(f"/api/2.0/files/folder/{sub}/links")["response"][0]["sharedLink"]["denyDownload"] is True
    assert "Revoked" in ok(run(server, api_key, "links", "revoke", "--folder", f"{title}/2024", link_id))
    assert api.get(f"/api/2.0/files/folder/{sub}/links")["response"] == []

    r = run(server, api_key, "links", "ls", "--folder", f"{title}/nope")
    assert r.returncode == NOT_FOUND and "nope" in r.stderr


def test_share_a_directory_tree_prints_one_folder_link(server, api_key, api, tmp_path):
    top = tmp_path / f"trip-{secrets.token_hex(3)}"
    (top / "day 1" / "raw").mkdir(parents=True)
    (top / "empty").mkdir()
    files = {"readme.txt": b"hello", "day 1/a.jpg": os.urandom(2000), "day 1/raw/b.bin": os.urandom(100)}
    for rel, data in files.items():
        (top / rel).write_bytes(data)
    url = ok(run(server, api_key, "share", top, "--title", "Trip")).strip()
    assert re.fullmatch(r"http://\S+/s/\S+", url)
    folder = next(f for f in api.my()["folders"] if f["title"] == top.name)
    link = api.get(f"/api/2.0/files/folder/{folder['id']}/links")["response"][0]["sharedLink"]
    assert (link["shareLink"], link["title"]) == (url, "Trip")
    # Through the link, the zip holds exactly the directory's files.
    import io, zipfile
    r = requests.get(f"{api.base}/filehandler.ashx", params={"action": "bulk", "folderid": folder["id"], "share": link["requestToken"]})
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        got = {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}
        dirs = {i.filename for i in z.infolist() if i.is_dir()}
    assert got == files
    assert dirs == {"day 1/", "day 1/raw/", "empty/"}


def test_share_keeps_the_upload_when_the_link_fails(server, api_key, api, tmp_path):
    name = f"half-{secrets.token_hex(4)}.txt"
    path = tmp_path / name
    path.write_text("x")
    r = run(server, api_key, "share", path, "--password-file", "-", input="short\n")
    assert r.returncode == REFUSED
    f = find_file(api, name)
    assert f"as file {f['id']}, but the link was not created" in r.stderr
    assert "Password must contain" in r.stderr


def qr_modules(art_lines):
    """Half-block art back to a matrix of light (True) / dark modules."""
    halves = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}
    rows = []
    for line in art_lines:
        pairs = [halves[c] for c in line]
        rows.append([p[0] for p in pairs])
        rows.append([p[1] for p in pairs])
    return rows


def assert_finder(m, x0, y0):
    for y in range(7):
        for x in range(7):
            ring = max(abs(x - 3), abs(y - 3))
            dark = ring != 2  # dark outer ring, light ring, dark 3x3 centre
            assert m[y0 + y][x0 + x] == (not dark), f"finder at {x0},{y0}: module {x},{y}"


def test_share_qr_prints_a_scannable_code(server, api_key, api, tmp_path):
    path = tmp_path / f"qr-{secrets.token_hex(3)}.txt"
    path.write_text("qr")
    out = ok(run(server, api_key, "share", path, "--qr"))
    lines = out.splitlines()
    url = lines[0]
    assert re.fullmatch(r"http://\S+/s/\S+", url)
    art = lines[1:]
    assert art and set("".join(art)) <= set("█▀▄ ")
    assert "\x1b" not in out  # no colour codes when stdout is not a terminal
    width = len(art[0])
    assert all(len(l) == width for l in art)
    m = qr_modules(art)
    assert len(m) in (width, width + 1)  # odd heights leave a half row
    n = width - 8  # four light modules of quiet zone on each side
    assert n >= 21 and (n - 21) % 4 == 0, f"{n} modules is not a QR size"
    for y in range(width):
        for x in range(width):
            if not (4 <= x < 4 + n and 4 <= y < 4 + n):
                assert m[y][x], f"quiet zone at {x},{y}"
    assert_finder(m, 4, 4)
    assert_finder(m, 4 + n - 7, 4)
    assert_finder(m, 4, 4 + n - 7)
    # Timing patterns alternate between the finders.
    assert [m[4 + 6][4 + i] for i in range(8, n - 8)] == [i % 2 == 1 for i in range(8, n - 8)]
    # The printed URL is the file's link.
    f = find_file(api, path.name)
    api.link(f["id"], url)


def test_links_create_qr(server, api_key, a_file):
    out = ok(run(server, api_key, "links", "create", a_file, "--qr"))
    assert out.splitlines()[0].startswith("http://")
    assert "█" in out


# ---------------------------------------------------------------- completions and help


def test_completions(server, api_key):
    bash = ok(run(server, api_key, "completions", "bash"))
    assert "_spacelinks()" in bash and "links" in bash and "--password-prompt" in bash
    if shutil.which("bash"):
        check = subprocess.run(["bash", "-n"], input=bash, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr
    zsh = ok(run(server, api_key, "completions", "zsh"))
    assert zsh.startswith("#compdef spacelinks") and "--deny-download" in zsh
    fish = ok(run(server, api_key, "completions", "fish"))
    assert "complete -c spacelinks" in fish and "revoke" in fish
    r = run(server, api_key, "completions", "tcsh")
    assert r.returncode == USAGE


def test_help_has_examples_exit_codes_and_no_key(server, api_key):
    top = ok(run(server, api_key, "--help"))
    for code in range(7):
        assert re.search(rf"^  {code}  ", top, re.M), f"exit code {code} in --help"
    assert "Examples:" in top and "SPACELINKS_API_KEY" in top
    for sub in (["files", "--help"], ["links", "--help"], ["links", "create", "--help"], ["links", "set", "--help"],
                ["share", "--help"], ["files", "get", "--help"]):
        out = ok(run(server, api_key, *sub))
        assert "Examples:" in out, sub
        assert api_key not in out


# ---------------------------------------------------------------- configuration and errors


def test_a_refused_key_exits_3_without_printing_it(server, api_key, a_file):
    bad = "sk-" + "0" * 64
    env = cli_env(server, bad)
    for args in (["files", "ls"], ["links", "ls", a_file], ["links", "create", a_file]):
        r = run(server, api_key, *args, env=env)
        assert r.returncode == AUTH, (args, r.stderr)
        assert "the API key was refused" in r.stderr
        assert bad not in r.stderr + r.stdout


def test_unknown_file_or_folder_exits_4(server, api_key):
    for args in (["links", "ls", "987654"], ["links", "create", "987654"], ["files", "get", "987654"],
                 ["files", "ls", "987654"], ["links", "revoke", "987654", "5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f"]):
        r = run(server, api_key, *args)
        assert r.returncode == NOT_FOUND, (args, r.stderr)
        assert "987654" in r.stderr
        assert r.stdout == ""


def test_upload_into_an_unknown_folder_exits_4(server, api_key, tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("x")
    r = run(server, api_key, "files", "upload", path, "--folder", "987654")
    assert r.returncode == NOT_FOUND and "folder 987654" in r.stderr


@pytest.mark.parametrize("args,needle", [
    (["links", "create", "1", "--access", "owner"], "possible values"),
    (["links", "create", "1", "--expires", "2001-01-01"], "in the past"),
    (["links", "create", "1", "--expires", "soon"], "expected a date"),
    (["links", "create", "1", "--password-prompt", "--password-file", "x"], "cannot be used with"),
    (["links", "create"], "FILE_ID"),
    (["files", "upload"], "PATH"),
    (["links", "frobnicate"], "unrecognized subcommand"),
    (["files", "ls", "--no-such-flag"], "unexpected argument"),
])
def test_invalid_command_lines_exit_2(server, api_key, args, needle):
    r = run(server, api_key, *args)
    assert r.returncode == USAGE, r.stderr
    assert needle in r.stderr


def test_missing_configuration_exits_2(server, api_key):
    r = run(server, api_key, "files", "ls", env=cli_env(server, api_key, SPACELINKS_URL=None))
    assert r.returncode == USAGE and "SPACELINKS_URL" in r.stderr
    r = run(server, api_key, "files", "ls", env=cli_env(server, api_key, SPACELINKS_API_KEY=None))
    assert r.returncode == USAGE and "SPACELINKS_API_KEY" in r.stderr
    r = run(server, api_key, "files", "ls", env=cli_env(server, api_key, SPACELINKS_URL="ftp://example.com"))
    assert r.returncode == USAGE and "not an http(s) URL" in r.stderr


def test_docspace_variables_and_flags(server, api_key):
    env = cli_env(server, api_key, SPACELINKS_URL=None, SPACELINKS_API_KEY=None,
                  DOCSPACE_URL=server.base_url, DOCSPACE_API_KEY=api_key)
    ok(run(server, api_key, "files", "ls", env=env))
    # Flags win over the environment, and work after the subcommand too.
    env = cli_env(server, "sk-wrong", SPACELINKS_URL="http://127.0.0.1:9")
    ok(run(server, api_key, "files", "ls", "--url", server.base_url, "--api-key", api_key, env=env))
    ok(run(server, api_key, "files", "--url", server.base_url, "--api-key", api_key, "ls", env=env))


def test_unreachable_server_exits_6(server, api_key):
    dead = f"http://127.0.0.1:{free_port()}"
    r = run(server, api_key, "links", "ls", "1", env=cli_env(server, api_key, SPACELINKS_URL=dead))
    assert r.returncode == NETWORK
    assert r.stderr.startswith(f"spacelinks: cannot reach {dead}: ")
    assert "Connection refused" in r.stderr


def test_server_validation_messages_are_shown_as_written(server, api_key, api, a_file):
    # 400: the password policy, in the server's own words.
    r = run(server, api_key, "links", "create", a_file, "--password-file", "-", input="short\n")
    assert r.returncode == REFUSED
    assert r.stderr.startswith("spacelinks: Password must contain from 8 to 30 characters")
    # 400: more than ten years ahead.
    r = run(server, api_key, "links", "create", a_file, "--expires", "4000d")
    assert r.returncode == REFUSED
    assert "Value does not fall within the expected range. (Parameter 'expirationDate')" in r.stderr
    # 403: a second primary link.
    ok(run(server, api_key, "links", "create", a_file, "--primary"))
    r = run(server, api_key, "links", "create", a_file, "--primary")
    assert r.returncode == REFUSED
    assert "only one primary link" in r.stderr
    assert len(api.links(a_file)) == 1


def test_a_missing_local_file_exits_1(server, api_key, tmp_path):
    r = run(server, api_key, "files", "upload", tmp_path / "absent.txt")
    assert r.returncode == OTHER and "cannot read" in r.stderr and "absent.txt" in r.stderr
    # (A directory is shared as a folder since issue 12; a missing path is not.)
    r = run(server, api_key, "share", tmp_path / "absent-dir")
    assert r.returncode == OTHER and "absent-dir" in r.stderr


class Canned(http.server.BaseHTTPRequestHandler):
    """A stand-in portal that answers every request with one canned reply."""

    reply = (200, {}, b"")

    def do_GET(self):
        status, headers, body = self.reply
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def canned():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (Canned,), {}))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("reply,code,message", [
    ((200, {"Content-Type": "text/html"}, b"<html>login</html>"), OTHER, "is not a DocSpace API response; is --url the portal's address?"),
    ((500, {"Content-Type": "application/json"}, b'{"error":{"message":"disk full"},"status":1,"statusCode":500}'), OTHER,
     "the server failed (HTTP 500): disk full"),
    ((403, {}, b""), REFUSED, "access denied (HTTP 403)"),
    ((429, {"Retry-After": "17"}, b""), REFUSED, "too many requests (HTTP 429); retry after 17 seconds"),
    ((400, {"Content-Type": "application/json"},
      b'{"response":{"title":"One or more validation errors occurred.","errors":{"Count":["The field Count must be between 1 and 100."]}},"status":1,"statusCode":400}'),
     REFUSED, "Count: The field Count must be between 1 and 100."),
])
def test_other_answers_map_to_exit_codes(server, api_key, canned, reply, code, message):
    canned.RequestHandlerClass.reply = reply
    url = f"http://127.0.0.1:{canned.server_address[1]}"
    r = run(server, api_key, "links", "ls", "42", env=cli_env(server, api_key, SPACELINKS_URL=url))
    assert r.returncode == code, r.stderr
    assert message in r.stderr
