// The employer console: GraphiQL whose requests carry the signed-in person's token.
// The token lives in this tab's sessionStorage only; signing out forgets it and the tabs.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("console-config").textContent);
  const sessionKey = "jobgraph-console:" + config.tenant + ":session";
  const byId = (id) => document.getElementById(id);
  let session = JSON.parse(sessionStorage.getItem(sessionKey) || "null");

  async function post(body, token) {
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json",
    };
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(config.endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      credentials: "omit",
    });
    return response.json();
  }

  const firstErrorCode = (result) =>
    result && result.errors && result.errors[0].extensions && result.errors[0].extensions.code;

  function say(text) {
    byId("message").textContent = text || "";
  }

  function save(next) {
    session = next;
    if (next) sessionStorage.setItem(sessionKey, JSON.stringify(next));
    else sessionStorage.removeItem(sessionKey);
  }

  async function refreshed() {
    if (!session || !session.refreshToken) return false;
    const result = await post({
      query: "mutation ConsoleRefresh($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }",
      variables: { t: session.refreshToken },
    });
    if (!result.data) return false;
    save(Object.assign({}, session, result.data.refreshToken));
    return true;
  }

  // Right after switching tabs, GraphiQL may still send the previous tab's operation name.
  function named(params) {
    const name = params.operationName;
    if (!name || new RegExp("\\b(query|mutation|subscription)\\s+" + name + "\\b").test(params.query)) {
      return params;
    }
    return Object.assign({}, params, { operationName: null });
  }

  async function fetcher(graphiqlParams) {
    const params = named(graphiqlParams);
    let result = await post(params, session && session.accessToken);
    if (firstErrorCode(result) === "UNAUTHENTICATED" && (await refreshed())) {
      result = await post(params, session.accessToken);
    }
    return result;
  }

  async function startSession(tokens, email) {
    const me = await post(
      { query: "query ConsoleMe { me { email memberships { companyId companyName } } }" },
      tokens.accessToken
    );
    if (!me.data) {
      say(me.errors ? me.errors[0].message : "Signing in failed.");
      return;
    }
    const memberships = me.data.me.memberships;
    save({
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken || null,
      email: me.data.me.email || email,
      companyId: memberships.length ? memberships[0].companyId : null,
    });
    say(
      memberships.length
        ? "Working for " + memberships[0].companyName + "."
        : "You are signed in, but not a member of an employer on this site."
    );
    render();
  }

  byId("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    say("Signing in…");
    if (!config.passwordLogin) {
      await startSession({ accessToken: byId("provider-token").value }, "");
      return;
    }
    const email = byId("email").value;
    const result = await post({
      query: "mutation ConsoleSignIn($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken } }",
      variables: { email: email, password: byId("password").value },
    });
    if (!result.data) {
      say(result.errors ? result.errors[0].message : "Signing in failed.");
      return;
    }
    byId("password").value = "";
    await startSession(result.data.login, email);
  });

  byId("sign-out").addEventListener("click", async () => {
    if (session && session.refreshToken) {
      await post({ query: "mutation ConsoleSignOut { logout }" }, session.accessToken);
    }
    tabStorage(session).clear();
    save(null);
    say("Signed out.");
    render();
  });

  // GraphiQL keeps its tabs (queries and results) per signed-in person, in this tab only.
  function tabStorage(current) {
    const prefix =
      "jobgraph-console:" + config.tenant + ":" + (current ? current.email : "anonymous") + ":";
    const keys = () => Object.keys(sessionStorage).filter((key) => key.startsWith(prefix));
    return {
      getItem: (key) => sessionStorage.getItem(prefix + key),
      setItem: (key, value) => sessionStorage.setItem(prefix + key, value),
      removeItem: (key) => sessionStorage.removeItem(prefix + key),
      clear: () => keys().forEach((key) => sessionStorage.removeItem(key)),
      get length() {
        return keys().length;
      },
    };
  }

  const logo = document.querySelector(".console-logo");
  if (logo) logo.addEventListener("error", () => logo.remove());

  const root = ReactDOM.createRoot(byId("graphiql"));
  function render() {
    byId("sign-in").hidden = Boolean(session);
    byId("signed-in").hidden = !session;
    byId("who").textContent = session ? session.email : "";
    const companyId = session && session.companyId;
    const tabs = config.examples.map((example) => ({
      query: example.query,
      variables: companyId
        ? example.variables.split(config.companyPlaceholder).join(companyId)
        : example.variables,
    }));
    root.render(
      React.createElement(GraphiQL, {
        key: session ? session.email : "anonymous",
        fetcher: fetcher,
        defaultTabs: tabs,
        storage: tabStorage(session),
        defaultEditorToolsVisibility: "variables",
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: false,
      })
    );
  }
  render();
})();
