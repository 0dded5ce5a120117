"""Issue 15: the file endpoints ONLYOFFICE's own API test suite exercises,
driven through the official DocSpace Python SDK against the release binary:
new-file titles, rename, text and HTML files, Recent, favorites, lock and
order."""
import pytest
import requests
from docspace_api_sdk import (
    CreateFileJsonElement,
    CreateTextOrHtmlFile,
    LockFileParameters,
    OrderRequestDto,
    UpdateFile,
)
from docspace_api_sdk.exceptions import ForbiddenException

from conftest import OWNER_EMAIL, OWNER_PASSWORD
from sdk_support import Sdk, new_user, sdk_login, sdk_new_key


@pytest.fixture(scope="module")
def sdk(server):
    return Sdk(server, sdk_new_key(server, sdk_login(server, OWNER_EMAIL, OWNER_PASSWORD)))


@pytest.fixture(scope="module")
def other(server, sdk):
    _, key = new_user(server, sdk.key)
    return Sdk(server, key)


def create(sdk, **kw):
    return sdk.files.create_file_in_my_documents(CreateFileJsonElement(**kw), _headers=sdk.headers).response


def test_new_file_titles_and_rename(sdk, other):
    assert create(sdk, title="Memo.txt").title == "Memo.docx"
    assert create(sdk, title="Memo.md", enable_external_ext=True).title == "Memo.md"
    f = create(sdk, title="Original")
    renamed = sdk.files.update_file(f.id, UpdateFile(title="Renamed.txt"), _headers=sdk.headers).response
    assert (renamed.id, renamed.title, renamed.file_exst) == (f.id, "Renamed.txt.docx", ".docx")
    with pytest.raises(ForbiddenException) as e:
        other.files.update_file(f.id, UpdateFile(title="Mine"), _headers=other.headers)
    assert "rename the file" in e.value.body


def test_text_and_html_files(sdk):
    body = CreateTextOrHtmlFile(title="Notes", content="Hello world", create_new_if_exist=False)
    first = sdk.files.create_text_file_in_my_documents(body, _headers=sdk.headers).response
    assert (first.title, first.file_exst) == ("Notes.txt", ".txt")
    again = sdk.files.create_text_file_in_my_documents(
        CreateTextOrHtmlFile(title="Notes", content="Second", create_new_if_exist=True)
    ).response
    assert (again.id, again.version) == (first.id, 2)
    page = sdk.files.create_html_file(first.folder_id, CreateTextOrHtmlFile(title="Page", content="<p>x</p>"), _headers=sdk.headers).response
    assert page.title == "Page.html"


def test_recent_favorites_lock_and_order(server, sdk, other):
    f = create(sdk, title="Marked")
    assert sdk.files.add_file_to_recent(f.id, _headers=sdk.headers).response.id == f.id
    # The SDK's get_recent_folder requests `files/{recent_prefix}recent`
    # literally (its path is not formatted), so Recent is read over HTTP.
    recent = requests.get(f"{server.base_url}/api/2.0/files/recent", headers=sdk.headers).json()["response"]
    assert [x["id"] for x in recent["files"]][:1] == [f.id]
    assert sdk.files.toggle_file_favorite(f.id, favorite=True, _headers=sdk.headers).response is True
    favorites = requests.get(f"{server.base_url}/api/2.0/files/@favorites", headers=sdk.headers).json()["response"]
    assert [x["id"] for x in favorites["files"]] == [f.id]
    assert sdk.files.toggle_file_favorite(f.id, favorite=False, _headers=sdk.headers).response is False

    locked = sdk.files.lock_file(f.id, LockFileParameters(lock_file=True), _headers=sdk.headers)
    assert locked.status_code == 200 and locked.response.id == f.id
    assert sdk.files.set_file_order(f.id, OrderRequestDto(order=2), _headers=sdk.headers).response.id == f.id
    with pytest.raises(ForbiddenException):
        other.files.lock_file(f.id, LockFileParameters(lock_file=False), _headers=other.headers)
    with pytest.raises(ForbiddenException):
        other.files.add_file_to_recent(f.id, _headers=other.headers)
