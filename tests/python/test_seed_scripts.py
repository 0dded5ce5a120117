"""The seed document's two example scripts (Python and Node), run unchanged
against spacelinks except for the portal URL, the API key and the file id.

The scripts are vendored verbatim in tests/seed/. When the shared folder is
laid out beside the clone (../shared/seed, as in CI), the tests run the
shared originals and check that the vendored copies still match them.
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sdk_support import create_link, list_links, new_file, Sdk

REPO = Path(__file__).resolve().parents[2]
SHARED_SEED = REPO.parent / "shared" / "seed"
VENDORED_SEED = REPO / "tests" / "seed"
SEED = SHARED_SEED if SHARED_SEED.is_dir() else VENDORED_SEED

SCRIPTS = {"python": "example.py", "node": "example.mjs"}
PLACEHOLDER_URL = "https://yourportal.onlyoffice.com"
PLACEHOLDER_KEY = "YOUR_API_KEY"
PLACEHOLDER_FILE_ID = "30303"

LISTED = "External links for file:"
UPDATED = "File external link updated successfully."
NOT_FOUND = "File not found (404)."


def replace_once(text, old, new):
    assert text.count(old) == 1, f"expected exactly one {old!r} in the seed script"
    return text.replace(old, new)


def configured(runtime, base_url, key, file_id, uncomment_examples=False):
    """The seed script with only its three settings replaced."""
    text = (SEED / SCRIPTS[runtime]).read_text()
    text = replace_once(text, PLACEHOLDER_URL, base_url)
    text = replace_once(text, PLACEHOLDER_KEY, key)
    text = replace_once(text, PLACEHOLDER_FILE_ID, str(file_id))
    if uncomment_examples:
        # The four commented example fields of the payload, and only those.
        pattern = r"^(\s*)(?:#|//) ((?:\"denyDownload\"|\"password\"|\"expiration\"|\"access\"|denyDownload|password|expiration|access):.*)$"
        text, n = re.subn(pattern, r"\1\2", text, flags=re.M)
        assert n == 4, f"expected four example payload lines, uncommented {n}"
    return text


def run_seed(runtime, tmp_path, server, key, file_id, **kwargs):
    text = configured(runtime, server.base_url, key, file_id, **kwargs)
    path = tmp_path / SCRIPTS[runtime]
    path.write_text(text)
    if runtime == "python":
        cmd = [sys.executable, str(path)]
    else:
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        cmd = [node, str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    return proc.stdout


def printed_json(stdout, after, before=None):
    """The JSON document the script printed after the line `after`."""
    rest = stdout.split(after + "\n", 1)[1]
    if before is not None:
        rest = rest.split(before, 1)[0]
    return json.loads(rest)


@pytest.fixture(scope="module")
def sdk(server, api_key):
    return Sdk(server, api_key)


def test_vendored_copies_are_verbatim():
    for name in SCRIPTS.values():
        vendored = VENDORED_SEED / name
        assert vendored.is_file(), f"{vendored} is missing"
        assert PLACEHOLDER_URL in vendored.read_text()
        if SHARED_SEED.is_dir():
            assert vendored.read_bytes() == (SHARED_SEED / name).read_bytes(), f"tests/seed/{name} differs from ../shared/seed"


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_seed_lists_links_and_empty_update_changes_nothing(runtime, tmp_path, server, api_key, sdk):
    file_id = new_file(sdk)
    link = create_link(server, api_key, file_id, title="made before the script", password="seed-pass-1")
    before = list_links(server, api_key, file_id)["response"]

    out = run_seed(runtime, tmp_path, server, api_key, file_id)

    listed = printed_json(out, LISTED, before=UPDATED)
    assert [l["sharedLink"]["id"] for l in listed] == [link["sharedLink"]["id"]]
    assert listed[0]["sharedLink"]["title"] == "made before the script"
    assert listed[0]["sharedLink"]["password"] == "seed-pass-1"
    assert UPDATED in out
    # `{}` is answered with an envelope without `response`; the script prints that.
    update = printed_json(out, UPDATED)
    assert "response" not in update and update["status"] == 0 and update["statusCode"] == 200
    assert list_links(server, api_key, file_id)["response"] == before


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_seed_example_payload_creates_a_deny_download_read_link(runtime, tmp_path, server, api_key, sdk):
    """With the example fields uncommented the PUT has no linkId, so it
    creates a new link (DocSpace behaviour): Read ("view"), denyDownload,
    no password; the unknown `expiration` field is ignored."""
    file_id = new_file(sdk)
    existing = create_link(server, api_key, file_id, title="existing")
    before = list_links(server, api_key, file_id)["response"]

    out = run_seed(runtime, tmp_path, server, api_key, file_id, uncomment_examples=True)

    assert UPDATED in out
    created = printed_json(out, UPDATED)
    assert created["access"] == 2
    assert created["sharedLink"]["denyDownload"] is True
    assert "password" not in created["sharedLink"]
    assert created["sharedLink"]["primary"] is False
    assert created["sharedLink"]["id"] != existing["sharedLink"]["id"]

    after = list_links(server, api_key, file_id)["response"]
    assert len(after) == 2
    assert after[0] == before[0]  # the existing link is untouched
    assert after[1]["sharedLink"]["id"] == created["sharedLink"]["id"]
    assert after[1]["sharedLink"]["denyDownload"] is True and after[1]["access"] == 2


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_seed_reports_a_missing_file(runtime, tmp_path, server, api_key):
    out = run_seed(runtime, tmp_path, server, api_key, 987654321)
    assert out.count(NOT_FOUND) == 2  # step 1 (GET) and step 2 (PUT)
    assert UPDATED not in out and LISTED not in out


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_seed_reports_a_bad_key(runtime, tmp_path, server, sdk):
    file_id = new_file(sdk)
    out = run_seed(runtime, tmp_path, server, "sk-" + "0" * 64, file_id)
    assert out.count("Request failed: 401") == 2
    assert UPDATED not in out
