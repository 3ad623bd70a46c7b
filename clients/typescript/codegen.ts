// Types for the documents in src/, from the schema the site serves to partners (what its
// site keys and anonymous callers may call). Node does not resolve *.localhost names: the
// demo is reached as localhost, the site named with X-Tenant.
import type { CodegenConfig } from "@graphql-codegen/cli";

const api = process.env.JOBGRAPH_URL ?? "http://localhost:8000";
const site = process.env.JOBGRAPH_TENANT ?? "kansai-jobs";

const config: CodegenConfig = {
  schema: [{ [`${api}/schema.graphql`]: { headers: { "X-Tenant": site } } }],
  documents: ["src/**/*.ts", "!src/gql/**"],
  ignoreNoDocuments: false,
  // ES modules under Node: relative imports name their .js files.
  emitLegacyCommonJSImports: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: { useTypeImports: true, enumsAsTypes: true },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
