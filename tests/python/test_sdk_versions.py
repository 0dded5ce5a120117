"""Issue 10, hole 8: previous versions are kept, listed and restored through
the official SDK's `FilesApi.get_file_version_info` (GET
files/file/{id}/history) and `FilesApi.restore_file_version` (POST
files/file/{id}/restoreversion?version=N). Both routes are anonymous-allowed
in DocSpace, so the SDK sends no credentials unless `_headers` says so."""
import pytest
import requests
from docspace_api_sdk.exceptions import ForbiddenException

from sdk_support import Sdk, auth, download, my_folder_id, upload


@pytest.fixture(scope="module")
def sdk(server, api_key):
    return Sdk(server, api_key)


def new_version(server, key, file_id, data):
    r = requests.put(
        f"{server.base_url}/api/2.0/files/{file_id}/update",
        headers=auth(key),
        files={"file": ("v.txt", data)},
    )
    assert r.status_code == 200, r.text
    return r.json()["response"]


def test_history_and_restore_through_the_sdk(server, sdk):
    f = upload(sdk, my_folder_id(sdk), "History.txt", b"first content")
    new_version(server, sdk.key, f.id, b"second content")
    new_version(server, sdk.key, f.id, b"third")

    history = sdk.files.get_file_version_info(f.id, _headers=sdk.headers).response
    assert [v.version for v in history] == [3, 2, 1]
    assert [v.pure_content_length for v in history] == [5, 14, 13]
    assert all(v.id == f.id and v.title == "History.txt" for v in history)
    assert history[2].comment == "Created"
    old = requests.get(history[2].view_url, headers=auth(sdk.key))
    assert old.status_code == 200 and old.content == b"first content"

    restored = sdk.files.restore_file_version(f.id, version=1, _headers=sdk.headers).response
    assert [e.version for e in restored] == [1, 2, 3, 4]
    assert restored[3].id == f.id and restored[3].version_group == 4
    assert restored[3].user.id and restored[3].created is not None
    assert download(server, f.id, headers=auth(sdk.key)).content == b"first content"
    history = sdk.files.get_file_version_info(f.id, _headers=sdk.headers).response
    assert [v.version for v in history] == [4, 3, 2, 1]
    assert history[0].comment.startswith("Restored from the revision of ")


def test_without_credentials_the_sdk_is_refused(server, sdk):
    f = upload(sdk, my_folder_id(sdk), "Private.txt", b"one")
    new_version(server, sdk.key, f.id, b"two")
    with pytest.raises(ForbiddenException):
        sdk.files.get_file_version_info(f.id)
    with pytest.raises(ForbiddenException):
        sdk.files.restore_file_version(f.id, version=1)
    assert download(server, f.id, headers=auth(sdk.key)).content == b"two"
