// A partner's server searching a jobgraph site's postings: Node 18 or later, no packages.
//
//   JOBGRAPH_CLIENT_ID=cl_... JOBGRAPH_CLIENT_SECRET=cs_... node search-from-server.mjs python
//
// The client and its secret come from the site's admin (createOAuthClient, scopes
// TENANT_READ and JOBS_READ). A server sends no Origin: it signs in with the OAuth 2.0
// client-credentials grant and names the site with X-Tenant (Node does not resolve
// *.localhost names, so the demo is reached as localhost).

const api = process.env.JOBGRAPH_URL ?? "http://localhost:8000";
const site = process.env.JOBGRAPH_TENANT ?? "kansai-jobs";
const clientId = process.env.JOBGRAPH_CLIENT_ID;
const secret = process.env.JOBGRAPH_CLIENT_SECRET;
if (!clientId || !secret) {
  console.error("Set JOBGRAPH_CLIENT_ID and JOBGRAPH_CLIENT_SECRET (the site's admin creates them).");
  process.exit(2);
}

async function accessToken() {
  const response = await fetch(`${api}/oauth/token`, {
    method: "POST",
    headers: {
      "X-Tenant": site,
      "Authorization": "Basic " + Buffer.from(`${clientId}:${secret}`).toString("base64"),
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`the token endpoint said ${response.status}: ${body.error_description ?? body.error}`);
  }
  return body.access_token;
}

async function search(token, text) {
  const response = await fetch(`${api}/graphql`, {
    method: "POST",
    headers: { "X-Tenant": site, "Authorization": `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      query: `query Search($text: String) {
        jobs(search: $text, first: 5) { totalCount edges { node { title company { name } } } }
      }`,
      variables: { text },
    }),
  });
  const body = await response.json();
  if (body.errors) {
    const [error] = body.errors;
    throw new Error(`${error.extensions?.code}: ${error.message}`);
  }
  return body.data.jobs;
}

try {
  const jobs = await search(await accessToken(), process.argv[2] ?? null);
  console.log(`${jobs.totalCount} postings on ${site}`);
  for (const { node } of jobs.edges) console.log(`- ${node.title} (${node.company.name})`);
} catch (error) {
  console.error(`error: ${error.message}`);
  process.exit(1);
}
