"""Issue "external links": the owner side of a file's external links, driven
through the official SDK (FilesApi.get_file_links, set_file_external_link,
get_file_primary_external_link, create_file_primary_external_link), with raw
HTTP wherever the exact JSON on the wire matters (explicit nulls, dates)."""
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from docspace_api_sdk import ApiDateTime, FileLinkRequest, FileShare
from docspace_api_sdk.exceptions import BadRequestException, ForbiddenException, NotFoundException

from sdk_support import (
    Sdk,
    assert_error,
    auth,
    create_link,
    delete_link,
    link_ids,
    links_url,
    list_links,
    new_file,
    new_user,
    primary_url,
    put_link,
)

ROLE_NOT_AVAILABLE = "The role is not available for this user type"


@pytest.fixture(scope="module")
def sdk(server, api_key):
    return Sdk(server, api_key)


@pytest.fixture
def file_id(sdk):
    """A fresh document per test, so link counts never leak between tests."""
    return new_file(sdk)


@pytest.fixture(scope="module")
def other(server, api_key):
    _, key = new_user(server, api_key)
    return Sdk(server, key)


def iso(delta):
    return (datetime.now(timezone.utc) + delta).isoformat()


def stored(server, key, file_id, link_id):
    """The link as GET .../links reports it now (the `sharedLink` dict plus access)."""
    for l in list_links(server, key, file_id)["response"]:
        if l["sharedLink"]["id"] == link_id:
            return {**l["sharedLink"], "access": l["access"]}
    return None


# Create, read, update, delete through the SDK.


def test_create_link_without_link_id(server, sdk, file_id):
    req = FileLinkRequest(access=FileShare.Read, title="For the team", deny_download=True, password="correct-horse")
    created = sdk.files.set_file_external_link(file_id, req).response
    link = created.shared_link
    assert created.access == FileShare.Read
    assert created.subject_type == 1  # additional link
    assert link.title == "For the team"
    assert link.deny_download is True
    assert link.password == "correct-horse"  # plain text to the owner, as DocSpace
    assert link.primary is False and link.internal is False and link.is_expired is False
    assert link.share_link.startswith(f"{server.base_url}/s/")
    assert link.request_token
    assert created.shared_to["id"] == str(link.id)  # the obsolete twin is sent too

    listed = sdk.files.get_file_links(file_id).response
    assert [str(l.shared_link.id) for l in listed] == [str(link.id)]
    assert listed[0].shared_link.password == "correct-horse"


def test_update_by_link_id_merges(server, sdk, api_key, file_id):
    expires = iso(timedelta(days=3))
    link = create_link(
        server, api_key, file_id, title="Board", password="board-pass-1", expirationDate=expires, denyDownload=True
    )
    link_id = link["sharedLink"]["id"]
    expiry = link["sharedLink"]["expirationDate"]
    assert expiry.endswith("Z") and len(expiry.split(".")[1]) == 8  # seven digits and Z

    # Only access changes; every absent field keeps its stored value.
    updated = sdk.files.set_file_external_link(file_id, FileLinkRequest(link_id=link_id, access=FileShare.Editing)).response
    assert str(updated.shared_link.id) == link_id
    assert updated.access == FileShare.Editing
    assert updated.shared_link.title == "Board"
    assert updated.shared_link.password == "board-pass-1"
    assert updated.shared_link.deny_download is True
    assert updated.shared_link.expiration_date is not None
    assert stored(server, api_key, file_id, link_id)["expirationDate"] == expiry

    # An update without `access` keeps the access too (DocSpace would delete).
    r = put_link(server, api_key, file_id, {"linkId": link_id, "denyDownload": False})
    assert r.status_code == 200
    s = stored(server, api_key, file_id, link_id)
    assert s["access"] == 10 and s["denyDownload"] is False and s["password"] == "board-pass-1"

    # Explicit nulls clear the password and expiry and reset the title.
    r = put_link(server, api_key, file_id, {"linkId": link_id, "password": None, "expirationDate": None, "title": None})
    assert r.status_code == 200, r.text
    s = stored(server, api_key, file_id, link_id)
    assert "password" not in s and "expirationDate" not in s
    assert s["title"] == "Shared link"
    assert s["access"] == 10  # untouched
    assert link_ids(server, api_key, file_id) == [link_id]  # updated in place, not duplicated


def test_sdk_explicit_none_clears_password_and_title(server, sdk, api_key, file_id):
    link = create_link(server, api_key, file_id, title="Named", password="named-pass-1")
    link_id = link["sharedLink"]["id"]
    req = FileLinkRequest(link_id=link_id, title=None, password=None)
    # The SDK puts explicitly-set nullable fields on the wire as null.
    assert req.to_dict()["title"] is None and req.to_dict()["password"] is None
    updated = sdk.files.set_file_external_link(file_id, req).response
    assert updated.shared_link.title == "Shared link"
    assert updated.shared_link.password is None
    assert updated.access == FileShare.Read


def test_sdk_api_date_time_is_sent_as_empty_object_and_changes_nothing(server, sdk, api_key, file_id):
    link = create_link(server, api_key, file_id, expirationDate=iso(timedelta(days=2)))
    link_id = link["sharedLink"]["id"]
    before = link["sharedLink"]["expirationDate"]
    when = datetime.now(timezone.utc) + timedelta(days=30)
    req = FileLinkRequest(link_id=link_id, access=FileShare.Read, expiration_date=ApiDateTime(utc_time=when))
    assert req.to_dict()["expirationDate"] == {}  # the SDK's quirk, decision 4
    updated = sdk.files.set_file_external_link(file_id, req).response
    assert updated.shared_link.expiration_date is not None
    assert stored(server, api_key, file_id, link_id)["expirationDate"] == before

    # The object form with a `utcTime` does set the date.
    target = "2031-05-06T07:08:09Z"
    r = put_link(server, api_key, file_id, {"linkId": link_id, "expirationDate": {"utcTime": target, "timeZoneOffset": "00:00:00"}})
    assert r.status_code == 200, r.text
    assert r.json()["response"]["sharedLink"]["expirationDate"] == "2031-05-06T07:08:09.0000000Z"
    # ...and the SDK reads the date back.
    listed = sdk.files.get_file_links(file_id).response[0]
    assert listed.shared_link.expiration_date.utc_time == datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def test_delete_with_access_none(server, sdk, api_key, file_id):
    keep = create_link(server, api_key, file_id, title="keep")["sharedLink"]["id"]
    gone = create_link(server, api_key, file_id, title="gone")["sharedLink"]["id"]
    res = sdk.files.set_file_external_link_with_http_info(file_id, FileLinkRequest(link_id=gone, access=FileShare.None_))
    assert res.status_code == 200
    assert res.data.response is None
    body = json.loads(res.raw_data)
    assert "response" not in body and body["count"] == 0 and body["status"] == 0
    assert link_ids(server, api_key, file_id) == [keep]
    # Deleting again is a harmless no-op.
    r = put_link(server, api_key, file_id, {"linkId": gone, "access": 0})
    assert r.status_code == 200 and "response" not in r.json()
    assert link_ids(server, api_key, file_id) == [keep]


def test_empty_put_is_a_no_op(server, sdk, api_key, file_id):
    link = create_link(server, api_key, file_id, title="still here")
    before = list_links(server, api_key, file_id)["response"]
    r = put_link(server, api_key, file_id, {})
    assert r.status_code == 200
    body = r.json()
    assert "response" not in body and body["count"] == 0
    assert body["links"][0]["action"] == "PUT"
    # The SDK's empty request too.
    assert sdk.files.set_file_external_link(file_id, FileLinkRequest()).response is None
    assert list_links(server, api_key, file_id)["response"] == before
    assert before[0]["sharedLink"]["id"] == link["sharedLink"]["id"]


def test_get_link_lazily_creates_a_read_primary_link(server, sdk, api_key, file_id):
    assert link_ids(server, api_key, file_id) == []
    first = sdk.files.get_file_primary_external_link(file_id, _headers=sdk.headers).response
    assert first.access == FileShare.Read
    assert first.subject_type == 4
    assert first.shared_link.primary is True
    assert first.shared_link.title == "Shared link"
    assert first.shared_link.internal is False and first.shared_link.deny_download is False
    assert first.shared_link.expiration_date is None
    again = sdk.files.get_file_primary_external_link(file_id, _headers=sdk.headers).response
    assert again.shared_link.id == first.shared_link.id
    assert again.shared_link.request_token == first.shared_link.request_token
    assert link_ids(server, api_key, file_id) == [str(first.shared_link.id)]

    # Additional links are listed after the primary one.
    extra = create_link(server, api_key, file_id)["sharedLink"]["id"]
    assert link_ids(server, api_key, file_id) == [str(first.shared_link.id), extra]


def test_get_link_without_credentials_is_empty(server, sdk, api_key, file_id):
    # What the SDK does by default on this anonymous-allowed route: DocSpace's
    # 200 with no `response`, and no link is created.
    assert sdk.files.get_file_primary_external_link(file_id).response is None
    assert link_ids(server, api_key, file_id) == []


def test_deleted_primary_link_is_recreated_by_get(server, sdk, api_key, file_id):
    first = sdk.files.get_file_primary_external_link(file_id, _headers=sdk.headers).response
    delete_link(server, api_key, file_id, str(first.shared_link.id))
    assert link_ids(server, api_key, file_id) == []
    second = sdk.files.get_file_primary_external_link(file_id, _headers=sdk.headers).response
    assert second.shared_link.id != first.shared_link.id
    assert second.shared_link.primary is True


def test_post_link_ignores_title_and_never_replaces(server, sdk, api_key, file_id):
    req = FileLinkRequest(access=FileShare.Editing, title="Ignored title", deny_download=True)
    created = sdk.files.create_file_primary_external_link(file_id, req).response
    assert created.shared_link.title == "Shared link"
    assert created.access == FileShare.Editing
    assert created.shared_link.deny_download is True
    assert created.shared_link.primary is True and created.subject_type == 4
    # A second POST returns the existing primary link unchanged.
    again = sdk.files.create_file_primary_external_link(file_id, FileLinkRequest(access=FileShare.Read)).response
    assert again.shared_link.id == created.shared_link.id
    assert again.access == FileShare.Editing


def test_second_primary_link_is_403(server, sdk, api_key, file_id):
    sdk.files.get_file_primary_external_link(file_id, _headers=sdk.headers)
    r = put_link(server, api_key, file_id, {"access": 2, "primary": True})
    message = assert_error(r, 403)
    assert "primary" in message
    assert len(link_ids(server, api_key, file_id)) == 1


def test_at_most_six_additional_links(server, sdk, api_key, file_id):
    sdk.files.get_file_primary_external_link(file_id, _headers=sdk.headers)  # does not count
    for i in range(6):
        create_link(server, api_key, file_id, title=f"link {i}")
    r = put_link(server, api_key, file_id, {"access": 2, "title": "seventh"})
    assert_error(r, 403, "The maximum number of links may not exceed 6")
    with pytest.raises(ForbiddenException):
        sdk.files.set_file_external_link(file_id, FileLinkRequest(access=FileShare.Read))
    assert list_links(server, api_key, file_id)["total"] == 7
    # Freeing a slot makes room again.
    delete_link(server, api_key, file_id, link_ids(server, api_key, file_id)[1])
    create_link(server, api_key, file_id, title="replacement")


@pytest.mark.parametrize(
    "given, expected",
    [("Read", 2), ("editing", 10), ("view", 2), ("edit", 10), ("COMMENT", 6), ("Review", 5), (10, 10), ("2", 2)],
)
def test_access_names_and_aliases(server, api_key, file_id, given, expected):
    link = create_link(server, api_key, file_id, access=given)
    assert link["access"] == expected
    assert stored(server, api_key, file_id, link["sharedLink"]["id"])["access"] == expected


@pytest.mark.parametrize("given", ["reader", "", "None of these", True, 2.5, 99, {"x": 1}])
def test_unknown_access_is_400_listing_accepted_values(server, api_key, file_id, given):
    r = put_link(server, api_key, file_id, {"access": given})
    message = assert_error(r, 400)
    for name in ["Read", "Editing", "Review", "Comment", "view", "edit"]:
        assert name in message, message
    assert link_ids(server, api_key, file_id) == []


@pytest.mark.parametrize("access", [FileShare.ReadWrite, FileShare.Varies, FileShare.RoomManager, FileShare.ContentCreator])
def test_roles_not_available_for_links(server, sdk, api_key, file_id, access):
    r = put_link(server, api_key, file_id, {"access": int(access)})
    assert_error(r, 403, ROLE_NOT_AVAILABLE)
    r = requests.post(primary_url(server, file_id), json={"access": access.name}, headers=auth(api_key))
    assert_error(r, 403, ROLE_NOT_AVAILABLE)
    with pytest.raises(ForbiddenException) as e:
        sdk.files.create_file_primary_external_link(file_id, FileLinkRequest(access=access))
    assert ROLE_NOT_AVAILABLE in e.value.body
    # Nor can an existing link be switched to one.
    link_id = create_link(server, api_key, file_id)["sharedLink"]["id"]
    assert_error(put_link(server, api_key, file_id, {"linkId": link_id, "access": int(access)}), 403, ROLE_NOT_AVAILABLE)
    assert stored(server, api_key, file_id, link_id)["access"] == 2


@pytest.mark.parametrize("password", ["short1", "x" * 31, "has a space", "pässwort-1"])
def test_password_policy(server, sdk, api_key, file_id, password):
    r = put_link(server, api_key, file_id, {"access": 2, "password": password})
    assert_error(r, 400, startswith="Password must contain from 8 to 30")
    with pytest.raises(BadRequestException):
        sdk.files.set_file_external_link(file_id, FileLinkRequest(access=FileShare.Read, password=password))
    # The same rule on update; the stored password survives a rejected one.
    link_id = create_link(server, api_key, file_id, password="valid-pass-1")["sharedLink"]["id"]
    assert_error(put_link(server, api_key, file_id, {"linkId": link_id, "password": password}), 400)
    assert stored(server, api_key, file_id, link_id)["password"] == "valid-pass-1"


def test_password_bounds_are_inclusive(server, api_key, file_id):
    for pw in ["8chars!!", "y" * 30]:
        assert create_link(server, api_key, file_id, password=pw)["sharedLink"]["password"] == pw


def test_expiration_in_the_past_is_400(server, api_key, file_id):
    r = put_link(server, api_key, file_id, {"access": 2, "expirationDate": iso(-timedelta(minutes=5))})
    assert_error(r, 400, "expirationDate must be in the future")
    assert link_ids(server, api_key, file_id) == []


def test_expiration_more_than_ten_years_ahead_is_400(server, api_key, file_id):
    r = put_link(server, api_key, file_id, {"access": 2, "expirationDate": iso(timedelta(days=365 * 10 + 30))})
    assert_error(r, 400)
    link = create_link(server, api_key, file_id, expirationDate=iso(timedelta(days=365 * 9)))
    assert link["sharedLink"]["expirationDate"]


def test_unparseable_expiration_is_400(server, api_key, file_id):
    for bad in ["tomorrow", 12345, [1]]:
        assert_error(put_link(server, api_key, file_id, {"access": 2, "expirationDate": bad}), 400)


def test_title_longer_than_255_is_400(server, api_key, file_id):
    assert_error(put_link(server, api_key, file_id, {"access": 2, "title": "t" * 256}), 400)
    assert create_link(server, api_key, file_id, title="t" * 255)["sharedLink"]["title"] == "t" * 255


def test_listing_pages_with_total(server, sdk, api_key, file_id):
    primary = sdk.files.get_file_primary_external_link(file_id, _headers=sdk.headers).response.shared_link.id
    extra = [create_link(server, api_key, file_id, title=f"n{i}")["sharedLink"]["id"] for i in range(3)]
    everything = [str(primary)] + extra

    body = list_links(server, api_key, file_id)
    assert body["total"] == 4 and body["count"] == 4
    assert [l["sharedLink"]["id"] for l in body["response"]] == everything

    page = list_links(server, api_key, file_id, count=2)
    assert page["total"] == 4
    assert [l["sharedLink"]["id"] for l in page["response"]] == everything[:2]
    page = list_links(server, api_key, file_id, count=2, startIndex=2)
    assert [l["sharedLink"]["id"] for l in page["response"]] == everything[2:]
    page = list_links(server, api_key, file_id, startIndex=3)
    assert [l["sharedLink"]["id"] for l in page["response"]] == everything[3:]

    # Through the SDK (whose wrapper has no `total`, but parses).
    listed = sdk.files.get_file_links(file_id, count=1, start_index=1).response
    assert [str(l.shared_link.id) for l in listed] == everything[1:2]

    for count in [0, 101, -1]:
        r = requests.get(links_url(server, file_id), params={"count": count}, headers=auth(api_key))
        assert_error(r, 400)
    r = requests.get(primary_url(server, file_id), params={"count": 0}, headers=auth(api_key))
    assert_error(r, 400)


def test_non_owner_sees_no_links_and_cannot_change_them(server, sdk, api_key, other, file_id):
    link_id = create_link(server, api_key, file_id)["sharedLink"]["id"]
    listed = requests.get(links_url(server, file_id), headers=auth(other.key))
    assert listed.status_code == 200
    assert listed.json()["response"] == [] and listed.json()["total"] == 0
    assert other.files.get_file_links(file_id).response == []

    cannot = "You don't have enough permission to perform the operation"
    assert_error(put_link(server, other.key, file_id, {"access": 2}), 403, cannot)
    assert_error(put_link(server, other.key, file_id, {"linkId": link_id, "access": 0}), 403, cannot)
    # GET /link: 200, count 0, no `response`, for another user and for anyone.
    for headers in (auth(other.key), {}):
        r = requests.get(primary_url(server, file_id), headers=headers)
        assert r.status_code == 200 and r.json()["count"] == 0 and "response" not in r.json()
    assert other.files.get_file_primary_external_link(file_id, _headers=other.headers).response is None
    with pytest.raises(ForbiddenException):
        other.files.create_file_primary_external_link(file_id, FileLinkRequest(access=FileShare.Read))
    assert link_ids(server, api_key, file_id) == [link_id]


def test_missing_file_is_404_item_not_found(server, sdk, api_key):
    missing = 987654
    assert_error(requests.get(links_url(server, missing), headers=auth(api_key)), 404, "Item not found")
    assert_error(put_link(server, api_key, missing, {"access": 2}), 404, "Item not found")
    r = requests.get(primary_url(server, missing), headers=auth(api_key))
    assert_error(r, 404, "Item not found")
    r = requests.post(primary_url(server, missing), json={"access": 2}, headers=auth(api_key))
    assert_error(r, 404, "Item not found")
    with pytest.raises(NotFoundException):
        sdk.files.get_file_links(missing)


def test_password_is_encrypted_at_rest(server, api_key, file_id):
    password = "Zq" + uuid.uuid4().hex[:20]
    link_id = create_link(server, api_key, file_id, password=password)["sharedLink"]["id"]
    # Updating it also stores the new one encrypted.
    new_password = "Wx" + uuid.uuid4().hex[:20]
    put_link(server, api_key, file_id, {"linkId": link_id, "password": new_password})
    assert stored(server, api_key, file_id, link_id)["password"] == new_password

    scanned = 0
    for root, _, names in os.walk(server.data_dir):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            scanned += 1
            for pw in (password, new_password):
                assert pw.encode() not in data, f"the link password appears in {path}"
                assert pw.encode("utf-16-le") not in data, f"the link password appears in {path}"
    names = [n for _, _, ns in os.walk(server.data_dir) for n in ns]
    assert any(n.startswith("spacelinks.db") for n in names), names
    assert scanned >= 2


def test_file_dto_shared_flags_follow_links(server, sdk, api_key, file_id):
    def flags():
        info = sdk.files.get_file_info(file_id, _headers=sdk.headers).response
        return info.shared, info.shared_external

    assert flags() == (False, False)
    internal = create_link(server, api_key, file_id, internal=True)["sharedLink"]
    assert internal["internal"] is True
    assert flags() == (True, False)  # an internal link shares, but not externally
    public = create_link(server, api_key, file_id)["sharedLink"]["id"]
    assert flags() == (True, True)
    delete_link(server, api_key, file_id, public)
    assert flags() == (True, False)
    # Making the internal link public flips sharedExternal.
    put_link(server, api_key, file_id, {"linkId": internal["id"], "internal": False})
    assert flags() == (True, True)
    delete_link(server, api_key, file_id, internal["id"])
    assert flags() == (False, False)


def test_client_supplied_link_id_creates_that_link(server, api_key, file_id):
    wanted = str(uuid.uuid4())
    link = create_link(server, api_key, file_id, linkId=wanted, title="chosen id")
    assert link["sharedLink"]["id"] == wanted
    assert link_ids(server, api_key, file_id) == [wanted]


def test_link_of_another_file_cannot_be_taken_over(server, sdk, api_key, file_id):
    victim = create_link(server, api_key, file_id, title="original")["sharedLink"]["id"]
    elsewhere = new_file(sdk)
    r = put_link(server, api_key, elsewhere, {"linkId": victim, "access": 10, "title": "hijacked"})
    assert_error(r, 400)
    assert link_ids(server, api_key, elsewhere) == []
    s = stored(server, api_key, file_id, victim)
    assert s["title"] == "original" and s["access"] == 2


def test_malformed_bodies_are_400(server, api_key, file_id):
    for raw in [b"{not json", b"[1, 2]", b'"text"']:
        r = requests.put(links_url(server, file_id), data=raw, headers={**auth(api_key), "Content-Type": "application/json"})
        assert_error(r, 400)
    for body in [{"linkId": "not-a-guid", "access": 2}, {"access": 2, "denyDownload": 1}, {"access": 2, "title": ["x"]}]:
        assert_error(put_link(server, api_key, file_id, body), 400)
    assert link_ids(server, api_key, file_id) == []
