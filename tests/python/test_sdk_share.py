"""Issue "recipient": what someone holding a share link can do, through the
SDK's SharingApi (files/share/{key}, files/share/{key}/password) and
FilesApi.get_file_info with a Request-Token, plus downloads, uploads through
an Editing link, the password lockout and revoked links."""
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests
from docspace_api_sdk import ExternalShareRequestParam
from docspace_api_sdk.exceptions import ApiException, ForbiddenException

from conftest import start_server
from sdk_support import Sdk, auth, create_link, delete_link, download, my_folder_id, new_user, upload

NIL_GUID = "00000000-0000-0000-0000-000000000000"
CONTENT = b"quarterly numbers\n" * 64


@pytest.fixture(scope="module")
def owner(server, api_key):
    return Sdk(server, api_key)


@pytest.fixture(scope="module")
def visitor(server):
    """An anonymous SDK client: what a link recipient without an account has."""
    return Sdk(server)


@pytest.fixture(scope="module")
def member(server, api_key):
    """A signed-in portal user who does not own the shared files."""
    _, key = new_user(server, api_key)
    return Sdk(server, key)


@pytest.fixture
def shared_file(owner):
    """A fresh text file with known content; returns its id."""
    return upload(owner, my_folder_id(owner), f"report-{uuid.uuid4().hex[:6]}.txt", CONTENT).id


def token_of(link):
    return link["sharedLink"]["requestToken"]


def share_data(sdk, token, headers=None):
    return sdk.sharing.get_external_share_data(token, _headers=headers).response


def apply_password(sdk, token, password):
    """POST files/share/{key}/password; returns (ExternalShareDto, headers with lower-case names)."""
    res = sdk.sharing.apply_external_share_password_with_http_info(token, ExternalShareRequestParam(password=password))
    assert res.status_code == 200
    return res.data.response, {k.lower(): v for k, v in (res.headers or {}).items()}


def as_visitor(token, cookie=None):
    headers = {"Request-Token": token}
    if cookie:
        headers["Cookie"] = cookie
    return headers


def short_code(link):
    return urlsplit(link["sharedLink"]["shareLink"]).path.rsplit("/", 1)[1]


# files/share/{key}: the link's status as a recipient sees it.


def test_ok_link_resolves_with_ids(server, api_key, visitor, shared_file):
    link = create_link(server, api_key, shared_file, title="for everyone")
    data = share_data(visitor, token_of(link))
    assert data.status == 0
    assert data.id == str(shared_file)
    assert data.title.startswith("report-") and data.title.endswith(".txt")
    assert data.type == 2  # a file
    assert str(data.link_id) == link["sharedLink"]["id"]
    assert data.is_authenticated is False and data.shared is False


def test_password_link_requires_a_password(server, api_key, visitor, shared_file):
    link = create_link(server, api_key, shared_file, password="open-sesame-1")
    data = share_data(visitor, token_of(link))
    assert data.status == 3  # RequiredPassword
    assert data.id == str(shared_file)  # named, so the page can ask for the password
    assert str(data.link_id) == NIL_GUID


def test_forged_token_is_invalid(server, api_key, visitor, shared_file):
    token = token_of(create_link(server, api_key, shared_file))
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in [forged, "not-a-token", "A" * 43]:
        data = share_data(visitor, bad)
        assert data.status == 1, bad
        assert data.id is None and data.title is None
        assert str(data.link_id) == NIL_GUID


def test_deleted_link_is_invalid(server, api_key, visitor, shared_file):
    link = create_link(server, api_key, shared_file)
    assert share_data(visitor, token_of(link)).status == 0
    delete_link(server, api_key, shared_file, link["sharedLink"]["id"])
    data = share_data(visitor, token_of(link))
    assert data.status == 1
    assert data.id is None


def test_link_expires(server, api_key, visitor, shared_file):
    expires = datetime.now(timezone.utc) + timedelta(seconds=2)
    link = create_link(server, api_key, shared_file, expirationDate=expires.isoformat())
    token = token_of(link)
    assert share_data(visitor, token).status == 0
    assert download(server, shared_file, share=token).status_code == 200
    deadline = time.monotonic() + 15
    status = 0
    while status != 2:
        assert time.monotonic() < deadline, "the link never reported Expired"
        time.sleep(0.2)
        status = share_data(visitor, token).status
    assert datetime.now(timezone.utc) >= expires - timedelta(milliseconds=50)
    # Every path refuses it now, and the owner's list flags it.
    with pytest.raises(ForbiddenException):
        visitor.files.get_file_info(shared_file, _headers=as_visitor(token))
    assert download(server, shared_file, share=token).status_code == 403
    listed = requests.get(f"{server.base_url}/api/2.0/files/file/{shared_file}/links", headers=auth(api_key)).json()
    assert listed["response"][0]["sharedLink"]["isExpired"] is True


def test_internal_link_needs_an_account(server, api_key, visitor, member, shared_file):
    token = token_of(create_link(server, api_key, shared_file, internal=True))
    assert share_data(visitor, token).status == 5  # ExternalAccessDenied
    with pytest.raises(ForbiddenException):
        visitor.files.get_file_info(shared_file, _headers=as_visitor(token))
    assert download(server, shared_file, share=token).status_code == 403

    data = share_data(member, token, headers=member.headers)
    assert data.status == 0 and data.is_authenticated is True
    info = member.files.get_file_info(shared_file, _headers={**member.headers, **as_visitor(token)}).response
    assert info.access == 2 and info.security.read is True
    assert download(server, shared_file, headers=member.headers, share=token).content == CONTENT


# Passwords.


def test_password_flow_sets_a_proof_cookie(server, api_key, visitor, shared_file):
    link = create_link(server, api_key, shared_file, password="open-sesame-2")
    link_id = link["sharedLink"]["id"]
    token = token_of(link)

    wrong, headers = apply_password(visitor, token, "open-sesame-X")
    assert wrong.status == 4  # InvalidPassword
    assert "set-cookie" not in headers

    right, headers = apply_password(visitor, token, "open-sesame-2")
    assert right.status == 0
    assert str(right.link_id) == link_id and right.id == str(shared_file)
    set_cookie = headers["set-cookie"]
    assert set_cookie.startswith(f"sharelink{link_id}=")
    assert "httponly" in set_cookie.lower()
    cookie = set_cookie.split(";", 1)[0]
    assert "open-sesame-2" not in cookie  # a proof, not the password

    # With the cookie replayed, the file opens with Read rights.
    info = visitor.files.get_file_info(shared_file, _headers=as_visitor(token, cookie)).response
    assert info.id == shared_file
    assert info.access == 2
    assert info.security.read is True and info.security.edit is False and info.security.download is True
    assert info.security.delete is False and info.security.rename is False
    assert info.request_token == token
    assert info.created_by is None  # people are hidden from anonymous visitors
    assert share_data(visitor, token, headers={"Cookie": cookie}).status == 0
    r = download(server, shared_file, headers={"Cookie": cookie}, share=token)
    assert r.status_code == 200 and r.content == CONTENT

    # DocSpace also accepts the proof as a request header of the same name,
    # and the token as the `share` query parameter.
    name, value = cookie.split("=", 1)
    r = requests.get(f"{server.base_url}/api/2.0/files/file/{shared_file}", params={"share": token}, headers={name: value})
    assert r.status_code == 200 and r.json()["response"]["access"] == 2

    # Without it, or with a made-up one, the file stays closed.
    with pytest.raises(ForbiddenException):
        visitor.files.get_file_info(shared_file, _headers=as_visitor(token))
    with pytest.raises(ForbiddenException):
        visitor.files.get_file_info(shared_file, _headers=as_visitor(token, f"sharelink{link_id}=forged"))
    assert download(server, shared_file, share=token).status_code == 403

    # Changing the password invalidates cookies issued for the old one.
    create_link(server, api_key, shared_file, linkId=link_id, password="open-sesame-3")
    with pytest.raises(ForbiddenException):
        visitor.files.get_file_info(shared_file, _headers=as_visitor(token, cookie))


def test_password_lockout_answers_429():
    """Five wrong passwords from one IP, then the sixth attempt is 429 with
    Retry-After. On a private server so that the lockout stays there."""
    private = start_server()
    try:
        key = private.new_api_key()
        owner = Sdk(private, key)
        file_id = upload(owner, my_folder_id(owner), "locked.txt", b"secret").id
        locked = token_of(create_link(private, key, file_id, password="right-password"))
        other = token_of(create_link(private, key, file_id, password="other-password"))
        visitor = Sdk(private)

        for _ in range(5):
            data, _ = apply_password(visitor, locked, "wrong-password")
            assert data.status == 4
        r = requests.post(f"{private.base_url}/api/2.0/files/share/{locked}/password", json={"password": "wrong-password"})
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) > 0
        assert r.content == b""
        # During the lockout even the right password is refused...
        r = requests.post(f"{private.base_url}/api/2.0/files/share/{locked}/password", json={"password": "right-password"})
        assert r.status_code == 429
        # ...and the SDK surfaces it as an error, not a status.
        with pytest.raises(ApiException) as e:
            apply_password(visitor, locked, "right-password")
        assert e.value.status == 429
        # Another link is not affected.
        data, _ = apply_password(visitor, other, "other-password")
        assert data.status == 0
    finally:
        private.proc.terminate()
        private.proc.wait(timeout=10)


# What the link's access level grants.


def test_deny_download_link(server, api_key, visitor, shared_file):
    token = token_of(create_link(server, api_key, shared_file, denyDownload=True))
    info = visitor.files.get_file_info(shared_file, _headers=as_visitor(token)).response
    assert info.security.read is True
    assert info.security.download is False
    assert download(server, shared_file, share=token).status_code == 403
    # The owner still downloads.
    assert download(server, shared_file, headers=auth(api_key)).content == CONTENT


def test_editing_link_uploads_a_new_version(server, api_key, visitor, shared_file):
    token = token_of(create_link(server, api_key, shared_file, access="Editing"))
    info = visitor.files.get_file_info(shared_file, _headers=as_visitor(token)).response
    assert info.access == 10
    assert info.security.edit is True and info.security.read is True and info.security.delete is False
    assert info.version == 1

    new_content = b"revised numbers\n" * 10
    r = requests.put(
        f"{server.base_url}/api/2.0/files/{shared_file}/update",
        files={"file": ("report.txt", new_content)},
        headers={"Request-Token": token},
    )
    assert r.status_code == 200, r.text
    assert r.json()["response"]["pureContentLength"] == len(new_content)

    assert download(server, shared_file, share=token).content == new_content
    assert download(server, shared_file, headers=auth(api_key)).content == new_content
    info = visitor.files.get_file_info(shared_file, _headers=as_visitor(token)).response
    assert info.pure_content_length == len(new_content)
    assert info.version == 2


def test_read_link_cannot_upload(server, api_key, visitor, shared_file):
    token = token_of(create_link(server, api_key, shared_file, access="Read"))
    info = visitor.files.get_file_info(shared_file, _headers=as_visitor(token)).response
    assert info.security.edit is False
    r = requests.put(
        f"{server.base_url}/api/2.0/files/{shared_file}/update",
        files={"file": ("report.txt", b"vandalised")},
        headers={"Request-Token": token},
    )
    assert r.status_code == 403
    assert r.json()["statusCode"] == 403
    # No token at all: also refused.
    r = requests.put(f"{server.base_url}/api/2.0/files/{shared_file}/update", files={"file": ("report.txt", b"x")})
    assert r.status_code == 403
    assert download(server, shared_file, headers=auth(api_key)).content == CONTENT


def test_token_for_another_file_grants_nothing(server, api_key, owner, visitor, shared_file):
    other_file = upload(owner, my_folder_id(owner), "other.txt", b"other").id
    token = token_of(create_link(server, api_key, other_file))
    with pytest.raises(ForbiddenException):
        visitor.files.get_file_info(shared_file, _headers=as_visitor(token))
    assert download(server, shared_file, share=token).status_code == 403


# A revoked link is dead everywhere, at once.


def test_revoked_link_fails_on_every_path(server, api_key, visitor, shared_file):
    link = create_link(server, api_key, shared_file)
    token = token_of(link)
    code = short_code(link)

    assert share_data(visitor, token).status == 0
    assert visitor.files.get_file_info(shared_file, _headers=as_visitor(token)).response.id == shared_file
    assert download(server, shared_file, share=token).content == CONTENT
    r = requests.get(f"{server.base_url}/s/{code}", allow_redirects=False)
    assert r.status_code == 302 and token in r.headers["Location"]

    delete_link(server, api_key, shared_file, link["sharedLink"]["id"])

    assert share_data(visitor, token).status == 1
    with pytest.raises(ForbiddenException):
        visitor.files.get_file_info(shared_file, _headers=as_visitor(token))
    r = requests.get(f"{server.base_url}/api/2.0/files/file/{shared_file}", params={"share": token})
    assert r.status_code == 403
    assert download(server, shared_file, share=token).status_code == 403
    assert download(server, shared_file, share=token, action="view").status_code == 403
    r = requests.get(f"{server.base_url}/s/{code}", allow_redirects=False)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    r = requests.get(f"{server.base_url}/doceditor", params={"fileid": shared_file, "share": token})
    assert r.status_code == 404


def test_deleting_the_file_invalidates_its_links(server, api_key, owner, visitor, shared_file):
    link = create_link(server, api_key, shared_file)
    token, code = token_of(link), short_code(link)
    r = requests.delete(f"{server.base_url}/api/2.0/files/file/{shared_file}", json={"immediately": True}, headers=auth(api_key))
    assert r.status_code == 200
    data = share_data(visitor, token)
    assert data.status == 1 and data.id is None
    assert download(server, shared_file, share=token).status_code == 404
    assert requests.get(f"{server.base_url}/s/{code}", allow_redirects=False).status_code == 404
