// The employer console: GraphiQL whose requests carry the signed-in person's token.
// The token lives in this tab's sessionStorage only; signing out forgets it and the tabs.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("console-config").textContent);
  const sessionKey = "jobgraph-console:" + config.tenant + ":session";
  const byId = (id) => document.getElementById(id);
  let session = JSON.parse(sessionStorage.getItem(sessionKey) || "null");

  // A result, or for a query that defers part of it (@defer, @stream) its parts as they
  // come, read by the widget's reader (one copy of it, loaded only then).
  async function post(body, token) {
    const headers = {
      "Content-Type": "application/json",
      Accept: "multipart/mixed, application/graphql-response+json, application/json",
    };
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(config.endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      credentials: "omit",
    });
    if ((response.headers.get("content-type") || "").startsWith("multipart/mixed")) {
      const reader = await import(config.partsReader);
      return inParts(reader.payloads(response));
    }
    return response.json();
  }

  async function* inParts(payloads) {
    for await (const payload of payloads) yield inSiteLanguage(payload);
  }

  const firstErrorCode = (result) =>
    result && result.errors && result.errors[0].extensions && result.errors[0].extensions.code;

  // The site's words (console/messages.py), with {name} filled in.
  function text(key, values) {
    return Object.entries(values || {}).reduce(
      (message, [name, value]) => message.split("{" + name + "}").join(value),
      config.messages[key]
    );
  }

  function say(message) {
    byId("message").textContent = message || "";
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

  // Subscriptions run over a WebSocket to the same endpoint (graphql-transport-ws, with
  // the graphql-ws client), signed in by its first message: GraphiQL shows each event.
  let liveClient = null;
  function live() {
    if (!liveClient) {
      const url = new URL(config.endpoint, location.href);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      liveClient = graphqlWs.createClient({
        url: url.toString(),
        connectionParams: () => ({ authorization: "Bearer " + (session && session.accessToken) }),
        lazy: true,
        retryAttempts: 0,
      });
    }
    return liveClient;
  }

  function closeLive() {
    if (liveClient) liveClient.dispose();
    liveClient = null;
  }

  function isSubscription(params) {
    const source = params.query.replace(/#[^\n]*/g, "");
    if (params.operationName) {
      return new RegExp("\\bsubscription\\s+" + params.operationName + "\\b").test(source);
    }
    return /^\s*subscription\b/.test(source);
  }

  async function fetcher(graphiqlParams) {
    const params = named(graphiqlParams);
    if (!session && params.operationName !== "IntrospectionQuery") {
      return { errors: [{ message: text("signInFirst") }] };
    }
    if (isSubscription(params)) return live().iterate(params);
    let result = await post(params, session && session.accessToken);
    if (firstErrorCode(result) === "UNAUTHENTICATED") {
      if (await refreshed()) result = await post(params, session.accessToken);
      else if (session) say(text("expired"));
    }
    return inSiteLanguage(result);
  }

  // The server's messages are English: on a site in another language, each error first
  // says what its code means in that language (the English detail follows it).
  function inSiteLanguage(result) {
    for (const error of (result && result.errors) || []) {
      const code = error.extensions && error.extensions.code;
      const meaning = code && config.messages["error." + code];
      if (meaning) error.message = meaning + " " + error.message;
    }
    return result;
  }

  // The ids the examples need, so that each runs as shipped: the company's, its newest
  // posting with applications (else its newest posting), that posting's first
  // application, and the first candidate of a search where the site offers one.
  async function exampleIds(companyId, token) {
    const ids = { companyId: companyId };
    const postings = "employerJobs(first: 20) { edges { node { id applicantCount } } }";
    const found = await post(
      config.resumeSearch
        ? {
            query:
              "query ConsoleIds($companyId: ID!) { " + postings +
              " searchCandidates(companyId: $companyId, first: 1) { candidateId } }",
            variables: { companyId: companyId },
          }
        : { query: "query ConsoleIds { " + postings + " }" },
      token
    );
    if (!found.data) return ids;
    const jobs = found.data.employerJobs.edges.map((edge) => edge.node);
    const posting = jobs.find((node) => node.applicantCount > 0) || jobs[0];
    if (posting) ids.jobId = posting.id;
    const candidates = found.data.searchCandidates || [];
    if (candidates.length) ids.candidateId = candidates[0].candidateId;
    if (posting && posting.applicantCount > 0) {
      const applications = await post(
        {
          query: "query ConsoleApplication($jobId: ID!) { applicants(jobId: $jobId, first: 1) { id } }",
          variables: { jobId: posting.id },
        },
        token
      );
      if (applications.data && applications.data.applicants.length) {
        ids.applicationId = applications.data.applicants[0].id;
      }
    }
    return ids;
  }

  // An example's variables with each placeholder the signed-in employer has an id for.
  function filledIn(variables) {
    const ids = (session && session.ids) || {};
    return Object.entries(config.placeholders).reduce(
      (text, [name, placeholder]) => (ids[name] ? text.split(placeholder).join(ids[name]) : text),
      variables
    );
  }

  async function startSession(tokens, email, operator) {
    let companyId = null;
    let message = text("operatorSignedIn");
    if (!operator) {
      const me = await post(
        { query: "query ConsoleMe { me { email memberships { companyId companyName } } }" },
        tokens.accessToken
      );
      if (!me.data) {
        say(me.errors ? me.errors[0].message : text("signInFailed"));
        return;
      }
      email = me.data.me.email || email;
      const memberships = me.data.me.memberships;
      companyId = memberships.length ? memberships[0].companyId : null;
      message = memberships.length
        ? text("workingFor", { company: memberships[0].companyName })
        : text("noEmployer");
    }
    // Staff of this site (its admins, operators) also get the site settings screen; one
    // whose session has not passed the second factor yet passes it there.
    const staff = await post({ query: "query ConsoleStaff { tenantSettings { version } }" }, tokens.accessToken);
    const reason = staff.errors && staff.errors[0].extensions && staff.errors[0].extensions.reason;
    const isStaff = Boolean(staff.data) || reason === "SECOND_FACTOR_REQUIRED";
    if (isStaff && !companyId) message = text("administer");
    save({
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken || null,
      email: email,
      operator: Boolean(operator),
      staff: isStaff,
      ids: companyId ? await exampleIds(companyId, tokens.accessToken) : {},
    });
    say(message);
    render();
  }

  // The settings screen replaces GraphiQL until "Back to the console", which reloads the
  // page so that the console shows the site as saved (the screen previews unsaved colours).
  function openSettings() {
    byId("graphiql").hidden = true;
    byId("admin").hidden = false;
    window.jobgraphAdmin.open(
      byId("admin"),
      async (query, variables) => fetcher({ query: query, variables: variables || {} }),
      config,
      text,
      () => location.reload()
    );
  }
  byId("site-settings").addEventListener("click", openSettings);
  const operatorBox = byId("operator");
  if (operatorBox) {
    operatorBox.addEventListener("change", () => {
      byId("operator-code").hidden = !operatorBox.checked;
      byId("operator-code").required = operatorBox.checked;
    });
  }

  // Sign-in through the site's own provider: authorization code with PKCE (RFC 7636). The
  // provider's ID token is the bearer token; jobgraph verifies it against the provider.
  const base64url = (bytes) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const redirectUri = location.origin + location.pathname;
  const pkceKey = "jobgraph-console:" + config.tenant + ":pkce";

  async function providerSignIn() {
    const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
    const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
    const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    sessionStorage.setItem(pkceKey, JSON.stringify({ verifier: verifier, state: state }));
    const url = new URL(config.oidc.authorizationEndpoint);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: config.oidc.clientId,
      redirect_uri: redirectUri,
      scope: "openid email profile",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: state,
    }).toString();
    location.assign(url.toString());
  }

  async function providerReturn() {
    const params = new URLSearchParams(location.search);
    const pending = JSON.parse(sessionStorage.getItem(pkceKey) || "null");
    if (!config.oidc || !params.has("state") || !pending) return;
    sessionStorage.removeItem(pkceKey);
    history.replaceState(null, "", redirectUri);
    if (params.get("state") !== pending.state || !params.get("code")) {
      say(params.get("error_description") || params.get("error") || text("providerFailed"));
      return;
    }
    say(text("signingIn"));
    const response = await fetch(config.oidc.tokenEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: params.get("code"),
        redirect_uri: redirectUri,
        client_id: config.oidc.clientId,
        code_verifier: pending.verifier,
      }),
      credentials: "omit",
    });
    const tokens = response.ok ? await response.json() : {};
    if (!tokens.id_token) {
      say(text("providerRefused", { reason: tokens.error || response.status }));
      return;
    }
    await startSession({ accessToken: tokens.id_token }, "");
  }

  const providerButton = byId("provider-sign-in");
  if (providerButton) providerButton.addEventListener("click", providerSignIn);

  byId("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    say(text("signingIn"));
    const email = byId("email").value;
    const operator = byId("operator").checked;
    // Operators sign in with their authenticator's code too: they always need it.
    const result = await post(operator ? {
      query: "mutation ConsoleSignIn($email: String!, $password: String!, $code: String!) { " +
        "operatorLogin(email: $email, password: $password, code: $code) { accessToken refreshToken } }",
      variables: { email: email, password: byId("password").value, code: byId("operator-code").value },
    } : {
      query: "mutation ConsoleSignIn($email: String!, $password: String!) { " +
        "login(email: $email, password: $password) { accessToken refreshToken } }",
      variables: { email: email, password: byId("password").value },
    });
    const signIn = operator ? "operatorLogin" : "login";
    if (!result.data) {
      say(result.errors ? result.errors[0].message : text("signInFailed"));
      return;
    }
    byId("password").value = "";
    byId("operator-code").value = "";
    await startSession(result.data[signIn], email, operator);
  });

  byId("sign-out").addEventListener("click", async () => {
    if (session && session.refreshToken && !session.operator) {
      await post({ query: "mutation ConsoleSignOut { logout }" }, session.accessToken);
    }
    storage.close();
    closeLive();
    save(null);
    say(text("signedOut"));
    render();
  });

  // GraphiQL keeps its tabs (queries and results) per signed-in person, in this tab only.
  // Signing out closes that person's storage: it is emptied, and the writes GraphiQL
  // still makes while it unmounts (its editors save on a timer) are dropped, so nothing
  // of the person outlives the sign-out.
  function tabStorage(current) {
    const prefix =
      "jobgraph-console:" + config.tenant + ":" + (current ? current.email : "anonymous") + ":";
    const keys = () => Object.keys(sessionStorage).filter((key) => key.startsWith(prefix));
    let open = true;
    return {
      getItem: (key) => (open ? sessionStorage.getItem(prefix + key) : null),
      setItem: (key, value) => {
        if (open) sessionStorage.setItem(prefix + key, value);
      },
      removeItem: (key) => sessionStorage.removeItem(prefix + key),
      clear: () => keys().forEach((key) => sessionStorage.removeItem(key)),
      close() {
        open = false;
        this.clear();
      },
      get length() {
        return open ? keys().length : 0;
      },
    };
  }
  let storage = null;

  // GraphiQL opens the stored tab whose text equals the editors' stored text, and where
  // none does, adds one with that text. Both are saved on timers of their own, so a
  // reload right after switching tabs found them apart and grew a tab (seen on a busy
  // machine). The editors start with the active stored tab's text (for a new person, the
  // first example's: GraphiQL would otherwise open it without its variables).
  function seeded(store, tabs) {
    let active = tabs[0];
    try {
      const state = JSON.parse(store.getItem("graphiql:tabState"));
      if (state && Array.isArray(state.tabs)) active = state.tabs[state.activeTabIndex] || active;
    } catch (error) {
      // no stored tabs, or unreadable ones (GraphiQL then starts from the examples)
    }
    if (active) {
      store.setItem("graphiql:query", active.query || "");
      store.setItem("graphiql:variables", active.variables || "");
    }
    return store;
  }

  const logo = document.querySelector(".console-logo");
  if (logo) logo.addEventListener("error", () => logo.remove());

  const root = ReactDOM.createRoot(byId("graphiql"));
  function render() {
    // Before sign-in, the first thing said is what to do (not an error in the result pane).
    if (!session && !byId("message").textContent) say(text("signInFirst"));
    byId("sign-in").hidden = Boolean(session);
    byId("signed-in").hidden = !session;
    byId("who").textContent = session ? session.email : "";
    byId("site-settings").hidden = !(session && session.staff);
    byId("graphiql").hidden = false;
    byId("admin").hidden = true;
    const tabs = config.examples.map((example) => ({
      query: example.query,
      variables: filledIn(example.variables),
    }));
    storage = seeded(tabStorage(session), tabs);
    const who = session ? session.email : "anonymous";
    delete byId("graphiql").dataset.renderedFor;
    root.render(
      React.createElement(Rendered, { who: who }, [
        React.createElement(GraphiQL, {
          key: who,
          fetcher: fetcher,
          defaultTabs: tabs,
          storage: storage,
          defaultEditorToolsVisibility: "variables",
          shouldPersistHeaders: false,
          isHeadersEditorEnabled: true,
          // Before sign-in, where the site shows its schema only to signed-in people,
          // GraphiQL does not ask for it: nothing to refuse, no error in the result pane.
          schema: session || config.anonymousIntrospection ? undefined : null,
        }),
      ])
    );
  }

  // React renders later than render() returns: once GraphiQL's tabs for this person are
  // on the page, #graphiql says for whom (what scripts and tests wait for).
  function Rendered(props) {
    React.useEffect(() => {
      byId("graphiql").dataset.renderedFor = props.who;
    }, [props.who]);
    return props.children;
  }
  // GraphiQL's editors (CodeMirror) type into a textarea of their own, with no label: each
  // is named by its editor, for screen readers (axe-core's "label" rule; tests/test_console).
  function labelEditors() {
    const names = [
      [".graphiql-query-editor", "editorOperation"],
      [".graphiql-response", "editorResponse"],
    ];
    for (const textarea of byId("graphiql").querySelectorAll(".CodeMirror textarea:not([aria-label])")) {
      let name = null;
      for (const [selector, key] of names) if (textarea.closest(selector)) name = key;
      if (!name && textarea.closest(".graphiql-editor-tool")) {
        const editors = Array.from(textarea.closest(".graphiql-editor-tool").querySelectorAll(".graphiql-editor"));
        name = editors.indexOf(textarea.closest(".graphiql-editor")) === 0 ? "editorVariables" : "editorHeaders";
      }
      if (name) textarea.setAttribute("aria-label", text(name));
    }
    // Its scrolling box can be reached by the keyboard too, to scroll a long operation.
    for (const box of byId("graphiql").querySelectorAll(".CodeMirror-scroll:not([tabindex=\"0\"])")) {
      box.setAttribute("tabindex", "0");
    }
  }
  // GraphiQL's tab bar is a tablist whose tabs hold buttons (select, close) and end with an
  // "add" button: interactive controls nested in tabs, and a tablist owning a button. It is
  // given the roles of what it is: a toolbar of buttons, the active tab's marked current.
  function toolbarTabs() {
    for (const bar of byId("graphiql").querySelectorAll('ul.graphiql-tabs[role="tablist"]')) {
      bar.setAttribute("role", "toolbar");
    }
    for (const tab of byId("graphiql").querySelectorAll("li.graphiql-tab")) {
      const active = tab.classList.contains("graphiql-tab-active");
      if (tab.getAttribute("role") !== "none") tab.setAttribute("role", "none");
      if (tab.hasAttribute("aria-selected")) tab.removeAttribute("aria-selected");
      const button = tab.querySelector(".graphiql-tab-button");
      if (button && (button.getAttribute("aria-current") === "true") !== active) {
        if (active) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      }
    }
  }
  new MutationObserver(() => {
    labelEditors();
    toolbarTabs();
  }).observe(byId("graphiql"), {
    childList: true, subtree: true, attributes: true, attributeFilter: ["role", "aria-selected", "class"],
  });
  render();
  providerReturn();
})();
