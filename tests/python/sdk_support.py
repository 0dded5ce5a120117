"""Helpers shared by the SDK-driven tests: clients of the official
`docspace_api_sdk` pointed at the test server, and small builders for files,
users and links.

The SDK sends no credentials at all on DocSpace's anonymous-allowed routes
(GET files/file/{id}, GET file/{id}/link, GET files/{folderId},
GET files/share/{key}, ...), whatever its Configuration says. Calls to those
routes pass `_headers=auth(key)` explicitly.
"""
import uuid

import requests
from docspace_api_sdk import (
    ApiClient,
    ApiKeysApi,
    AuthenticationApi,
    AuthRequestsDto,
    Configuration,
    CreateApiKeyRequestDto,
    CreateFileJsonElement,
    CreateFolder,
    FilesApi,
    FoldersApi,
    ProfilesApi,
    SharingApi,
)


def auth(key):
    """The header an SDK user must add on anonymous-allowed routes."""
    return {"Authorization": f"Bearer {key}"}


def client(server, key=None):
    """An SDK ApiClient for the test server; anonymous when `key` is None."""
    config = Configuration(host=server.base_url, access_token=key)
    return ApiClient(config)


class Sdk:
    """The SDK's API classes, bound to one server and one credential."""

    def __init__(self, server, key=None):
        self.server = server
        self.key = key
        self.api_client = client(server, key)
        self.files = FilesApi(self.api_client)
        self.folders = FoldersApi(self.api_client)
        self.sharing = SharingApi(self.api_client)
        self.profiles = ProfilesApi(self.api_client)
        self.authentication = AuthenticationApi(self.api_client)

    @property
    def headers(self):
        return auth(self.key) if self.key else {}


def sdk_login(server, email, password):
    """POST /api/2.0/authentication through the SDK: the session token."""
    result = Sdk(server).authentication.authenticate_me(AuthRequestsDto(user_name=email, password=password))
    assert result.status_code == 200
    return result.response.token


def sdk_new_key(server, token, name="sdk-tests"):
    """POST /api/2.0/keys through the SDK, authenticated by a session token."""
    created = ApiKeysApi(client(server, token)).create_api_key(CreateApiKeyRequestDto(name=name))
    key = created.response.key
    assert key.startswith("sk-") and len(key) == 67, key
    assert created.response.is_active is True
    return key


def new_user(server, owner_key, password="user-password-1", kind="User"):
    """Creates a user as the owner (POST /api/2.0/people) and returns
    (email, api key of the new user)."""
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    r = requests.post(
        f"{server.base_url}/api/2.0/people",
        json={"email": email, "password": password, "type": kind, "firstName": "Second", "lastName": "User"},
        headers=auth(owner_key),
    )
    assert r.status_code == 200, r.text
    assert r.json()["response"]["email"] == email
    token = server.login(email, password)
    return email, server.new_api_key(token, name="second-user")


def my_folder_id(sdk):
    return sdk.folders.get_my_folder(count=1).response.current.id


def new_file(sdk, title=None):
    """An empty document in My Documents, created through the SDK. Returns its id."""
    title = title or f"doc-{uuid.uuid4().hex[:8]}"
    created = sdk.files.create_file_in_my_documents(CreateFileJsonElement(title=title))
    return created.response.id


def upload(sdk, folder_id, name, data):
    """Uploads `data` as `name` (multipart part "File") through the SDK. Returns the FileDto."""
    uploaded = sdk.folders.upload_file(folder_id, file=(name, data))
    assert len(uploaded.response) == 1
    return uploaded.response[0]


def new_folder(sdk, parent_id, title=None):
    title = title or f"folder-{uuid.uuid4().hex[:8]}"
    return sdk.folders.create_folder(parent_id, CreateFolder(title=title)).response


# Raw-HTTP helpers for the link routes, where the exact JSON on the wire
# matters (explicit nulls, ISO dates, strings for `access`).


def links_url(server, file_id):
    return f"{server.base_url}/api/2.0/files/file/{file_id}/links"


def primary_url(server, file_id):
    return f"{server.base_url}/api/2.0/files/file/{file_id}/link"


def put_link(server, key, file_id, body):
    """PUT .../links with a raw JSON body; returns the requests.Response."""
    return requests.put(links_url(server, file_id), json=body, headers=auth(key))


def create_link(server, key, file_id, **fields):
    """Creates an additional link and returns its FileShareDto (a dict)."""
    body = {"access": 2, **fields}
    r = put_link(server, key, file_id, body)
    assert r.status_code == 200, r.text
    return r.json()["response"]


def list_links(server, key, file_id, **params):
    r = requests.get(links_url(server, file_id), params=params, headers=auth(key))
    assert r.status_code == 200, r.text
    return r.json()


def link_ids(server, key, file_id):
    return [l["sharedLink"]["id"] for l in list_links(server, key, file_id)["response"]]


def delete_link(server, key, file_id, link_id):
    r = put_link(server, key, file_id, {"linkId": link_id, "access": 0})
    assert r.status_code == 200, r.text
    assert "response" not in r.json()


def assert_error(r, status, message=None, startswith=None):
    """A DocSpace error envelope with this HTTP status (and message)."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert body["status"] == 1 and body["statusCode"] == status, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    if message is not None:
        assert body["error"]["message"] == message, body
    if startswith is not None:
        assert body["error"]["message"].startswith(startswith), body
    return body["error"]["message"]


def download(server, file_id, headers=None, share=None, action="download"):
    params = {"action": action, "fileid": file_id}
    if share:
        params["share"] = share
    return requests.get(f"{server.base_url}/filehandler.ashx", params=params, headers=headers or {})
