"""Issue 12, folder links, through the official SDK: the owner's four calls
(FoldersApi.set_folder_primary_external_link, get_folder_links,
get_folder_primary_external_link, create_folder_primary_external_link), the
recipient's (SharingApi.get_external_share_data, FoldersApi.get_folder_by_folder_id
and FilesApi.get_file_info with a Request-Token, OperationsApi.bulk_download and
get_operation_statuses), and a zip fetched through the link that unpacks to
exactly the tree's bytes."""
import io
import os
import uuid
import zipfile

import pytest
import requests
from docspace_api_sdk import (
    DownloadRequestDto,
    DownloadRequestDtoAllOfFileIds,
    DownloadRequestDtoAllOfFolderIds,
    ExternalShareRequestParam,
    FileShare,
    FolderLinkRequest,
    OperationsApi,
)
from docspace_api_sdk.exceptions import ForbiddenException, NotFoundException

from sdk_support import Sdk, my_folder_id, new_folder, new_user, upload

ROLE_NOT_AVAILABLE = "The role is not available for this user type"


@pytest.fixture(scope="module")
def owner(server, api_key):
    return Sdk(server, api_key)


@pytest.fixture(scope="module")
def visitor(server):
    return Sdk(server)


@pytest.fixture
def tree(owner):
    """Shared/{a.txt, Sub/{b.bin, Empty/, Deep/{c.txt, dup.txt}}} with random
    bytes, and a sibling folder. Returns (ids, {zip path: bytes})."""
    root = my_folder_id(owner)
    shared = new_folder(owner, root, f"Shared {uuid.uuid4().hex[:6]}")
    sub = new_folder(owner, shared.id, "Sub")
    new_folder(owner, sub.id, "Empty")
    deep = new_folder(owner, sub.id, "Deep")
    sibling = new_folder(owner, root, "Sibling")
    contents = {
        "a.txt": os.urandom(1000),
        "Sub/b.bin": os.urandom(300_000),
        "Sub/Deep/c.txt": b"",
        "Sub/Deep/dup.txt": os.urandom(10),
    }
    ids = {"shared": shared.id, "title": shared.title, "sub": sub.id, "deep": deep.id, "sibling": sibling.id}
    ids["a"] = upload(owner, shared.id, "a.txt", contents["a.txt"]).id
    ids["b"] = upload(owner, sub.id, "b.bin", contents["Sub/b.bin"]).id
    ids["c"] = upload(owner, deep.id, "c.txt", contents["Sub/Deep/c.txt"]).id
    upload(owner, deep.id, "dup.txt", contents["Sub/Deep/dup.txt"])
    ids["s"] = upload(owner, sibling.id, "s.txt", b"sibling secret").id
    return ids, contents


def as_visitor(token, cookie=None):
    headers = {"Request-Token": token}
    if cookie:
        headers["Cookie"] = cookie
    return headers


# The owner's side.


def test_owner_creates_lists_updates_and_deletes_folder_links(owner, tree):
    ids, _ = tree
    folder = ids["shared"]
    created = owner.folders.set_folder_primary_external_link(
        folder, FolderLinkRequest(access=FileShare.Read, title="For the team", password="  correct-horse  ")
    ).response
    link = created.shared_link
    assert created.access == FileShare.Read and created.subject_type == 1
    assert link.title == "For the team"
    assert link.password == "correct-horse"  # trimmed, as DocSpace does for folders
    assert link.request_token and link.share_link.startswith(owner.server.base_url)

    listed = owner.folders.get_folder_links(folder).response
    assert [str(l.shared_link.id) for l in listed] == [str(link.id)]

    updated = owner.folders.set_folder_primary_external_link(
        folder, FolderLinkRequest(link_id=link.id, access=FileShare.Editing, deny_download=True)
    ).response
    assert updated.access == FileShare.Editing
    assert updated.shared_link.deny_download is True
    assert updated.shared_link.password == "correct-horse"  # merged, not reset

    info = owner.folders.get_folder_info(folder, _headers=owner.headers).response
    assert info.shared is True and info.shared_external is True

    deleted = owner.folders.set_folder_primary_external_link(
        folder, FolderLinkRequest(link_id=link.id, access=FileShare.None_)
    )
    assert deleted.response is None
    assert owner.folders.get_folder_links(folder).response == []
    assert owner.folders.get_folder_info(folder, _headers=owner.headers).response.shared is False


def test_primary_link_and_post_title(owner, tree):
    ids, _ = tree
    first = owner.folders.get_folder_primary_external_link(ids["sub"], _headers=owner.headers).response
    assert first.shared_link.primary is True and first.access == FileShare.Read
    assert first.subject_type == 4
    again = owner.folders.get_folder_primary_external_link(ids["sub"], _headers=owner.headers).response
    assert again.shared_link.id == first.shared_link.id

    made = owner.folders.create_folder_primary_external_link(
        ids["deep"], FolderLinkRequest(access=FileShare.Comment, title="  Review this  ")
    ).response
    assert made.shared_link.title == "Review this" and made.access == FileShare.Comment


def test_refused_access_levels_and_limits(owner, tree):
    ids, _ = tree
    folder = ids["sub"]
    for access in (FileShare.ReadWrite, FileShare.Varies, FileShare.RoomManager, FileShare.ContentCreator):
        with pytest.raises(ForbiddenException) as e:
            owner.folders.set_folder_primary_external_link(folder, FolderLinkRequest(access=access))
        assert ROLE_NOT_AVAILABLE in e.value.body
    for _ in range(6):
        owner.folders.set_folder_primary_external_link(folder, FolderLinkRequest(access=FileShare.Read))
    with pytest.raises(ForbiddenException) as e:
        owner.folders.set_folder_primary_external_link(folder, FolderLinkRequest(access=FileShare.Read))
    assert "may not exceed 6" in e.value.body
    with pytest.raises(NotFoundException):
        owner.folders.get_folder_links(999_999_999)


def test_another_user_manages_nothing(server, api_key, tree):
    ids, _ = tree
    _, key = new_user(server, api_key)
    other = Sdk(server, key)
    assert other.folders.get_folder_links(ids["shared"]).response == []
    with pytest.raises(ForbiddenException):
        other.folders.set_folder_primary_external_link(ids["shared"], FolderLinkRequest(access=FileShare.Read))


# The recipient's side.


def test_visitor_browses_the_folder_and_opens_files_below(owner, visitor, tree):
    ids, contents = tree
    link = owner.folders.set_folder_primary_external_link(
        ids["shared"], FolderLinkRequest(access=FileShare.Read)
    ).response.shared_link
    token = link.request_token

    data = visitor.sharing.get_external_share_data(token).response
    assert data.status == 0 and data.id == str(ids["shared"]) and data.type == 1

    top = visitor.folders.get_folder_by_folder_id(ids["shared"], _headers=as_visitor(token)).response
    assert [f.title for f in top.files] == ["a.txt"]
    assert [f.title for f in top.folders] == ["Sub"]
    sub = visitor.folders.get_folder_by_folder_id(ids["sub"], _headers=as_visitor(token)).response
    assert sorted(f.title for f in sub.folders) == ["Deep", "Empty"]
    assert [p["id"] for p in sub.path_parts] == [ids["shared"], ids["sub"]]  # plain objects in the SDK
    info = visitor.files.get_file_info(ids["b"], _headers=as_visitor(token)).response
    assert info.id == ids["b"] and info.access == FileShare.Read
    r = requests.get(f"{visitor.server.base_url}/filehandler.ashx?action=download&fileid={ids['b']}&share={token}")
    assert r.status_code == 200 and r.content == contents["Sub/b.bin"]

    # Nothing outside the folder.
    with pytest.raises(ForbiddenException):
        visitor.folders.get_folder_by_folder_id(ids["sibling"], _headers=as_visitor(token))
    with pytest.raises(ForbiddenException):
        visitor.files.get_file_info(ids["s"], _headers=as_visitor(token))
    r = requests.get(f"{visitor.server.base_url}/filehandler.ashx?action=download&fileid={ids['s']}&share={token}")
    assert r.status_code == 403 and b"sibling secret" not in r.content


def bulk(server, token, folder_ids=(), file_ids=(), cookie=None):
    """PUT fileops/bulkdownload through the SDK, as a link's visitor."""
    sdk = Sdk(server)
    ops = OperationsApi(sdk.api_client)
    req = DownloadRequestDto(
        folder_ids=[DownloadRequestDtoAllOfFolderIds(i) for i in folder_ids],
        file_ids=[DownloadRequestDtoAllOfFileIds(i) for i in file_ids],
    )
    return ops, ops.bulk_download(req, _headers=as_visitor(token, cookie)).response


def test_zip_through_a_password_link_unpacks_to_the_tree(server, owner, visitor, tree):
    ids, contents = tree
    link = owner.folders.set_folder_primary_external_link(
        ids["shared"], FolderLinkRequest(access=FileShare.Read, password="open-sesame-9")
    ).response.shared_link
    token, link_id = link.request_token, str(link.id)

    with pytest.raises(ForbiddenException):
        bulk(server, token, folder_ids=[ids["shared"]])
    res = visitor.sharing.apply_external_share_password_with_http_info(
        token, ExternalShareRequestParam(password="open-sesame-9")
    )
    headers = {k.lower(): v for k, v in (res.headers or {}).items()}
    cookie = headers["set-cookie"].split(";", 1)[0]
    assert cookie.startswith(f"sharelink{link_id}=")

    ops, started = bulk(server, token, folder_ids=[str(ids["shared"])], cookie=cookie)
    op = started[-1]
    assert op.operation == 3 and op.finished is True and op.progress == 100 and not op.error
    polled = ops.get_operation_statuses(id=op.id, _headers=as_visitor(token, cookie)).response
    assert [p.id for p in polled] == [op.id] and polled[0].url == op.url

    r = requests.get(op.url, headers={"Cookie": cookie})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert f'filename="{ids["title"]}.zip"' in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert z.testzip() is None
        files = {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}
        dirs = {i.filename for i in z.infolist() if i.is_dir()}
    assert files == contents
    assert dirs == {"Sub/", "Sub/Empty/", "Sub/Deep/"}

    # Without the password proof, the archive is refused.
    r = requests.get(op.url)
    assert r.status_code == 403 and contents["a.txt"] not in r.content


def test_deny_download_blocks_the_zip(server, owner, tree):
    ids, _ = tree
    link = owner.folders.set_folder_primary_external_link(
        ids["shared"], FolderLinkRequest(access=FileShare.Read, deny_download=True)
    ).response.shared_link
    with pytest.raises(NotFoundException):
        bulk(server, link.request_token, folder_ids=[ids["shared"]])
    with pytest.raises(NotFoundException):
        bulk(server, link.request_token, file_ids=[ids["a"]])


def test_owner_downloads_a_selection(server, owner, tree):
    ids, contents = tree
    ops = OperationsApi(owner.api_client)
    started = ops.bulk_download(
        DownloadRequestDto(
            folder_ids=[DownloadRequestDtoAllOfFolderIds(ids["deep"])],
            file_ids=[DownloadRequestDtoAllOfFileIds(ids["a"])],
        ),
        _headers=owner.headers,  # anonymous-allowed: the SDK sends no credentials by itself
    ).response
    url = started[-1].url
    r = requests.get(url, headers=owner.headers)
    assert r.status_code == 200
    assert "-download-" in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        files = {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}
    assert files == {"a.txt": contents["a.txt"], "Deep/c.txt": b"", "Deep/dup.txt": contents["Sub/Deep/dup.txt"]}
    # Someone else gets nothing from the owner's operation.
    assert requests.get(url).status_code == 403
