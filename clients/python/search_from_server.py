"""A partner's server searching a jobgraph site's postings: Python 3.11, the standard library.

    JOBGRAPH_CLIENT_ID=cl_... JOBGRAPH_CLIENT_SECRET=cs_... python search_from_server.py python

The client and its secret come from the site's admin (createOAuthClient, scopes TENANT_READ
and JOBS_READ). A server sends no Origin: it signs in with the OAuth 2.0 client-credentials
grant and names the site with X-Tenant.
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

API = os.environ.get("JOBGRAPH_URL", "http://localhost:8000")
SITE = os.environ.get("JOBGRAPH_TENANT", "kansai-jobs")
SEARCH = """query Search($text: String) {
  jobs(search: $text, first: 5) { totalCount edges { node { title company { name } } } }
}"""


def post(path: str, body: bytes, headers: dict[str, str]) -> dict:
    request = urllib.request.Request(f"{API}{path}", body, {"X-Tenant": SITE, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        answer = json.load(error)
        said = answer.get("error_description") or answer.get("error") or answer
        raise SystemExit(f"error: {path} said {error.code}: {said}") from None


def access_token(client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    form = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    answer = post(
        "/oauth/token",
        form,
        {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    return str(answer["access_token"])


def search(token: str, text: str | None) -> dict:
    body = json.dumps({"query": SEARCH, "variables": {"text": text}}).encode()
    answer = post(
        "/graphql", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    if "errors" in answer:
        error = answer["errors"][0]
        raise SystemExit(f"error: {error['extensions'].get('code')}: {error['message']}")
    return dict(answer["data"]["jobs"])


def main() -> None:
    client_id = os.environ.get("JOBGRAPH_CLIENT_ID")
    secret = os.environ.get("JOBGRAPH_CLIENT_SECRET")
    if not client_id or not secret:
        print("Set JOBGRAPH_CLIENT_ID and JOBGRAPH_CLIENT_SECRET (the site's admin creates them).")
        sys.exit(2)
    jobs = search(access_token(client_id, secret), sys.argv[1] if len(sys.argv) > 1 else None)
    print(f"{jobs['totalCount']} postings on {SITE}")
    for edge in jobs["edges"]:
        print(f"- {edge['node']['title']} ({edge['node']['company']['name']})")


if __name__ == "__main__":
    main()
