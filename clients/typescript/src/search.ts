// A partner's server searching a jobgraph site, typed from the site's own schema:
//
//   npm ci && npm run codegen && npm run build
//   JOBGRAPH_CLIENT_ID=cl_... JOBGRAPH_CLIENT_SECRET=cs_... npm run search -- python
//
// The client and its secret come from the site's admin (the console's Site settings, or
// createOAuthClient with TENANT_READ and JOBS_READ). A server sends no Origin: it signs in
// with the OAuth 2.0 client-credentials grant and names the site with X-Tenant.
import { GraphQLClient } from "graphql-request";

import { graphql } from "./gql/index.js";

const api = process.env.JOBGRAPH_URL ?? "http://localhost:8000";
const site = process.env.JOBGRAPH_TENANT ?? "kansai-jobs";

// Checked against the schema when types are generated: a field the site does not offer
// fails `npm run codegen`, a wrong use of a result fails `npm run build`.
const Search = graphql(`
  query Search($text: String, $first: Int!) {
    jobs(search: $text, first: $first) {
      totalCount
      edges { node { id title company { name } } }
    }
  }
`);

async function accessToken(clientId: string, secret: string): Promise<string> {
  const response = await fetch(`${api}/oauth/token`, {
    method: "POST",
    headers: {
      "X-Tenant": site,
      Authorization: "Basic " + Buffer.from(`${clientId}:${secret}`).toString("base64"),
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || !body.access_token) {
    throw new Error(`the token endpoint said ${response.status}: ${body.error_description ?? body.error}`);
  }
  return body.access_token;
}

async function main(): Promise<void> {
  const clientId = process.env.JOBGRAPH_CLIENT_ID;
  const secret = process.env.JOBGRAPH_CLIENT_SECRET;
  if (!clientId || !secret) {
    console.error("Set JOBGRAPH_CLIENT_ID and JOBGRAPH_CLIENT_SECRET (the site's admin creates them).");
    process.exit(2);
  }
  const client = new GraphQLClient(`${api}/graphql`, {
    headers: { "X-Tenant": site, Authorization: `Bearer ${await accessToken(clientId, secret)}` },
  });
  const { jobs } = await client.request(Search, { text: process.argv[2] ?? null, first: 5 });
  console.log(`${jobs.totalCount} postings on ${site}`);
  for (const { node } of jobs.edges) console.log(`- ${node.title} (${node.company.name})`);
}

main().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
