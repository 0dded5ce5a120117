"""Issue "foundation": log in, make an API key, and drive files and folders
through the official DocSpace Python SDK; error bodies through raw HTTP."""
import json
import uuid

import pytest
import requests
from docspace_api_sdk import CreateFileJsonElement, Delete
from docspace_api_sdk.exceptions import ForbiddenException, NotFoundException, UnauthorizedException

from conftest import OWNER_EMAIL, OWNER_PASSWORD
from sdk_support import (
    Sdk,
    assert_error,
    auth,
    download,
    my_folder_id,
    new_file,
    new_folder,
    new_user,
    sdk_login,
    sdk_new_key,
    upload,
)


@pytest.fixture(scope="module")
def sdk_key(server):
    """A key made the way a new SDK user makes one: log in, then POST keys."""
    token = sdk_login(server, OWNER_EMAIL, OWNER_PASSWORD)
    return sdk_new_key(server, token)


@pytest.fixture(scope="module")
def sdk(server, sdk_key):
    return Sdk(server, sdk_key)


@pytest.fixture(scope="module")
def other(server, sdk_key):
    """A second, ordinary user with their own key."""
    _, key = new_user(server, sdk_key)
    return Sdk(server, key)


def test_login_gives_a_session_token_that_makes_keys(server):
    token = sdk_login(server, OWNER_EMAIL, OWNER_PASSWORD)
    assert token
    key = sdk_new_key(server, token, name="second key")
    # The key authenticates on its own, as `Authorization: Bearer sk-...`.
    r = requests.get(f"{server.base_url}/api/2.0/people/@self", headers=auth(key))
    assert r.status_code == 200
    assert r.json()["response"]["email"] == OWNER_EMAIL


def test_wrong_password_is_401(server):
    r = requests.post(f"{server.base_url}/api/2.0/authentication", json={"userName": OWNER_EMAIL, "password": "nope-nope"})
    assert r.status_code == 401


def test_people_self_parses_in_the_sdk(sdk):
    me = sdk.profiles.get_self_profile().response
    assert me.email == OWNER_EMAIL
    assert me.is_owner is True
    assert me.id is not None


def test_create_file_in_my_documents_appends_docx(sdk):
    title = f"Plan {uuid.uuid4().hex[:6]}"
    created = sdk.files.create_file_in_my_documents(CreateFileJsonElement(title=title)).response
    assert created.title == f"{title}.docx"
    assert created.file_exst == ".docx"
    assert created.version == 1
    assert created.folder_id == my_folder_id(sdk)


def test_create_folder_and_file_in_it(sdk):
    folder = new_folder(sdk, my_folder_id(sdk), "Reports")
    assert folder.title == "Reports"
    assert folder.parent_id == my_folder_id(sdk)
    f = sdk.files.create_file(folder.id, CreateFileJsonElement(title="Q3.xlsx")).response
    assert f.title == "Q3.xlsx"
    assert f.folder_id == folder.id

    # The folder lists through the SDK: total and pathParts must parse.
    content = sdk.folders.get_folder_by_folder_id(folder.id, _headers=sdk.headers).response
    assert content.total == 1
    assert [e.title for e in content.files] == ["Q3.xlsx"]
    assert content.current.id == folder.id
    titles = [p["title"] for p in content.path_parts]
    assert titles[-1] == "Reports" and len(titles) == 2


def test_upload_and_read_back(server, sdk):
    data = bytes(range(256)) * 40  # 10 240 bytes, every byte value
    f = upload(sdk, my_folder_id(sdk), "blob.bin", data)
    assert f.title == "blob.bin"
    assert f.pure_content_length == len(data)

    r = download(server, f.id, headers=auth(sdk.key))
    assert r.status_code == 200
    assert r.content == data
    assert "attachment" in r.headers["content-disposition"]

    r = download(server, f.id, headers={**auth(sdk.key), "Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.content == data[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(data)}"

    # Without credentials the owner's download route is closed.
    assert download(server, f.id).status_code == 403


def test_get_file_info_needs_explicit_headers(server, sdk):
    file_id = new_file(sdk, "Info")
    info = sdk.files.get_file_info(file_id, _headers=sdk.headers).response
    assert info.id == file_id
    assert info.title == "Info.docx"
    assert info.security.read is True and info.security.delete is True
    assert info.can_share is True
    # What the SDK sends on its own (no credentials) is refused, not 401.
    with pytest.raises(ForbiddenException):
        sdk.files.get_file_info(file_id)


def test_my_documents_lists_with_total_and_path_parts(sdk):
    new_file(sdk, "Listed")
    content = sdk.folders.get_my_folder().response
    assert content.total >= 1
    assert content.total == len(content.files) + len(content.folders)
    assert "Listed.docx" in [e.title for e in content.files]
    assert content.path_parts[0]["id"] == content.current.id
    assert content.current.parent_id == 0
    # Paging: one entry per page, the same total.
    page = sdk.folders.get_my_folder(count=1, start_index=0).response
    assert len(page.files) + len(page.folders) == 1
    assert page.total == content.total
    # The SDK types listing entries as FileEntryBaseDto, without ids; the
    # raw JSON has them.
    raw = sdk.folders.get_my_folder_with_http_info().raw_data
    assert all(isinstance(f["id"], int) for f in json.loads(raw)["response"]["files"])


def test_delete_file(server, sdk):
    file_id = new_file(sdk, "Doomed")
    ops = sdk.files.delete_file(file_id, Delete(delete_after=False, immediately=True)).response
    assert len(ops) == 1
    assert ops[0].operation == 2  # Delete
    assert ops[0].finished is True
    assert ops[0].progress == 100
    with pytest.raises(NotFoundException):
        sdk.files.get_file_info(file_id, _headers=sdk.headers)
    assert_error(requests.get(f"{server.base_url}/api/2.0/files/file/{file_id}", headers=auth(sdk.key)), 404)


# Errors, through raw HTTP: the bodies matter to hand-written scripts.


def test_malformed_json_is_a_400_envelope(server, sdk_key):
    r = requests.post(
        f"{server.base_url}/api/2.0/files/@my/file",
        data=b'{"title": ',
        headers={**auth(sdk_key), "Content-Type": "application/json"},
    )
    assert_error(r, 400)
    assert set(r.json()) == {"error", "status", "statusCode"}


def test_unknown_file_is_a_404_envelope(server, sdk_key):
    r = requests.get(f"{server.base_url}/api/2.0/files/file/987654321", headers=auth(sdk_key))
    assert_error(r, 404, "The required file was not found")


def test_non_numeric_id_is_404(server, sdk_key):
    for path in ["files/file/abc", "files/file/abc/links", "files/file/1e3"]:
        r = requests.get(f"{server.base_url}/api/2.0/{path}", headers=auth(sdk_key))
        assert_error(r, 404)


def test_no_credentials_is_401_with_empty_body(server):
    for method, path in [
        ("GET", "files/@my"),
        ("GET", "people/@self"),
        ("POST", "files/@my/file"),
        ("GET", "files/file/1/links"),
        ("PUT", "files/file/1/links"),
    ]:
        r = requests.request(method, f"{server.base_url}/api/2.0/{path}", json={"title": "x"})
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.content == b"", (method, path, r.text)
    # An unknown key is no credential at all.
    r = requests.get(f"{server.base_url}/api/2.0/files/@my", headers=auth("sk-" + "0" * 64))
    assert r.status_code == 401 and r.content == b""


def test_sdk_raises_unauthorized_without_a_key(server):
    with pytest.raises(UnauthorizedException):
        Sdk(server).folders.get_my_folder()


def test_another_users_file_is_403(server, sdk, other):
    file_id = new_file(sdk, "Private")
    r = requests.get(f"{server.base_url}/api/2.0/files/file/{file_id}", headers=auth(other.key))
    assert_error(r, 403)
    with pytest.raises(ForbiddenException):
        other.files.get_file_info(file_id, _headers=other.headers)
    assert download(server, file_id, headers=auth(other.key)).status_code == 403
    r = requests.delete(
        f"{server.base_url}/api/2.0/files/file/{file_id}", json={"immediately": True}, headers=auth(other.key)
    )
    assert_error(r, 403)
    # The owner's folder is not listable by the other user either.
    with pytest.raises(ForbiddenException):
        other.folders.get_folder_by_folder_id(my_folder_id(sdk), _headers=other.headers)
    # ...and the file is still there.
    assert sdk.files.get_file_info(file_id, _headers=sdk.headers).response.id == file_id


def test_second_user_has_own_profile_and_documents(other):
    me = other.profiles.get_self_profile().response
    assert me.is_owner is False
    assert me.is_collaborator is True
    assert me.email.startswith("user-")
    content = other.folders.get_my_folder().response
    assert content.total == 0


def test_sdk_logout_revokes_the_session(server):
    token = sdk_login(server, OWNER_EMAIL, OWNER_PASSWORD)
    sdk = Sdk(server, token)
    assert sdk.profiles.get_self_profile().response.email == OWNER_EMAIL
    # The SDK sends no credentials on this anonymous-allowed route (as
    # DocSpace declares it); a browser sends its cookie, so do we.
    result = sdk.authentication.logout(_headers={"Cookie": f"asc_auth_key={token}"})
    assert result.status_code == 200
    # The token is dead on the next request; other sessions are not.
    with pytest.raises(UnauthorizedException):
        sdk.profiles.get_self_profile()
    assert Sdk(server, server.login()).profiles.get_self_profile().response.email == OWNER_EMAIL
