"""Issue "link controls": the official SDK still parses every link DTO now
that links carry `maxUseCount`/`currentUseCount` (DocSpace's own names, which
the SDK's FileShareLink reads), `allowedNetworks`, `openCount` and
`lastOpenedOn` (extra fields it ignores), on every route that returns a link;
and a used-up link resolves as Expired through the SDK's share call."""
import time

import pytest
import requests
from docspace_api_sdk import FileLinkRequest, FileShare

from sdk_support import Sdk, create_link, download, links_url, new_file, primary_url, put_link


@pytest.fixture(scope="module")
def sdk(server, api_key):
    return Sdk(server, api_key)


@pytest.fixture
def file_id(sdk):
    return new_file(sdk)


def test_every_link_route_parses_with_the_controls(server, sdk, api_key, file_id):
    raw = create_link(server, api_key, file_id, maxUseCount=2, allowedNetworks=["127.0.0.0/8", "2001:db8::/32"])
    shared = raw["sharedLink"]
    assert shared["maxUseCount"] == 2 and shared["currentUseCount"] == 0
    assert shared["allowedNetworks"] == ["127.0.0.0/8", "2001:db8::/32"]
    assert shared["openCount"] == 0 and "lastOpenedOn" not in shared
    link_id, token = shared["id"], shared["requestToken"]

    # GET .../links through the SDK.
    listed = sdk.files.get_file_links(file_id).response
    assert [str(l.shared_link.id) for l in listed] == [link_id]
    assert listed[0].shared_link.max_use_count == 2
    assert listed[0].shared_link.current_use_count == 0

    # A download counts; the SDK sees the new count.
    r = download(server, file_id, share=token)
    assert r.status_code == 200, r.text
    listed = sdk.files.get_file_links(file_id).response
    assert listed[0].shared_link.current_use_count == 1

    # PUT .../links through the SDK (its request has no maxUseCount: the
    # stored limit is kept, merge semantics).
    updated = sdk.files.set_file_external_link(
        file_id, FileLinkRequest(link_id=link_id, access=FileShare.Read, title="Counted")
    ).response
    assert updated.shared_link.title == "Counted"
    assert (updated.shared_link.max_use_count, updated.shared_link.current_use_count) == (2, 1)

    # GET and POST .../link (the primary link, no limit: maxUseCount omitted).
    primary = sdk.files.get_file_primary_external_link(file_id, _headers=sdk.headers).response
    assert primary.shared_link.max_use_count is None
    assert primary.shared_link.current_use_count == 0
    again = sdk.files.create_file_primary_external_link(file_id, FileLinkRequest(access=FileShare.Read)).response
    assert str(again.shared_link.id) == str(primary.shared_link.id)
    assert again.shared_link.current_use_count == 0

    # The raw list after a visit carries openCount and lastOpenedOn. The
    # access log is written in batches off the request path: poll for it.
    assert requests.get(f"{server.base_url}/api/2.0/files/share/{token}").json()["response"]["status"] == 0
    for _ in range(100):
        body = requests.get(links_url(server, file_id), headers={"Authorization": f"Bearer {api_key}"}).json()
        ours = [l for l in body["response"] if l["sharedLink"]["id"] == link_id][0]["sharedLink"]
        if ours["openCount"] >= 1:
            break
        time.sleep(0.1)
    assert ours["openCount"] == 1 and ours["lastOpenedOn"]
    for l in sdk.files.get_file_links(file_id).response:  # and the SDK still parses it
        assert l.shared_link.current_use_count is not None


def test_used_up_resolves_expired_through_the_sdk_and_revives(server, sdk, api_key, file_id):
    raw = create_link(server, api_key, file_id, maxUseCount=1)
    link_id, token = raw["sharedLink"]["id"], raw["sharedLink"]["requestToken"]
    assert download(server, file_id, share=token).status_code == 200
    r = download(server, file_id, share=token)
    assert r.status_code == 403 and "download limit" in r.json()["error"]["message"]
    assert sdk.sharing.get_external_share_data(token).response.status == 2  # Expired

    r = put_link(server, api_key, file_id, {"linkId": link_id, "maxUseCount": 3})
    assert r.status_code == 200, r.text
    assert sdk.sharing.get_external_share_data(token).response.status == 0
    assert download(server, file_id, share=token).status_code == 200
    listed = sdk.files.get_file_links(file_id).response
    assert (listed[0].shared_link.max_use_count, listed[0].shared_link.current_use_count) == (3, 2)


def test_outside_the_networks_resolves_external_access_denied(server, sdk, api_key, file_id):
    raw = create_link(server, api_key, file_id, allowedNetworks=["192.0.2.0/24"])
    token = raw["sharedLink"]["requestToken"]
    assert sdk.sharing.get_external_share_data(token).response.status == 5  # ExternalAccessDenied
    assert download(server, file_id, share=token).status_code == 403


@pytest.mark.parametrize(
    "field,value,named",
    [
        ("maxUseCount", 0, "maxUseCount"),
        ("maxUseCount", -1, "maxUseCount"),
        ("maxUseCount", 1.5, "maxUseCount"),
        ("allowedNetworks", ["10.0.0.0/8", "not-a-network"], "not-a-network"),
        ("allowedNetworks", ["300.1.1.1"], "300.1.1.1"),
    ],
)
def test_bad_values_are_400_naming_the_field(server, api_key, file_id, field, value, named):
    r = put_link(server, api_key, file_id, {"access": 2, field: value})
    assert r.status_code == 400, r.text
    assert named in r.json()["error"]["message"]
    assert primary_url(server, file_id)  # nothing else to check: no link was made
    assert requests.get(links_url(server, file_id), headers={"Authorization": f"Bearer {api_key}"}).json()["total"] == 0
