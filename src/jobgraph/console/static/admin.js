// The site settings screen of the console, for the site's admins and platform operators,
// in the site's language: branding with a live preview (the console itself), each policy
// key drawn by its kind from the policy's own model (the console's "policyKeys", made by
// policy/describe.py: checkboxes, numbers with their bounds, choices, lists as rows) with
// its description, every problem of a change beside its key (list items included), the
// history with who changed what and one-click restore, the site's keys and partner-server
// clients (created, named and revoked), trusted documents, and its webhook endpoints with
// their deliveries. It uses only the GraphQL API the console signs in to. Staff whose session has not passed the
// second factor pass it here first: with their authenticator app's code, or, the first
// time, by enrolling one (a QR code drawn by the service, recovery codes shown once).
(function () {
  const SETTINGS = `query SiteSettings {
    tenantSettings { slug version source config }
    tenantHistory(first: 20) { version source actorName changedAt note changes { key before after } }
    siteKeys { id name key createdAt revokedAt }
    oauthClients { id name clientId scopes createdAt revokedAt }
    trustedDocuments { id client operation createdAt }
  }`;
  // Apart: the site's webhooks are its admins' (an operator is told so in their place).
  const WEBHOOKS = `query SiteWebhooks { webhookEndpoints { id url events failingSince } }`;
  const DELIVERIES = `query SiteWebhookDeliveries($e: ID!) {
    webhookDeliveries(endpointId: $e, first: 5) { id event status attempts lastStatusCode createdAt }
  }`;
  const BRANDING = [
    ["site_name", "siteName", "text"],
    ["logo_url", "logoUrl", "text"],
    ["primary_color", "primaryColor", "color"],
    ["accent_color", "accentColor", "color"],
    ["locale", "locale", "text"],
    ["support_email", "supportEmail", "email"],
  ];

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  const json = (value) => (value === undefined ? "" : JSON.stringify(value));
  const idOf = (key) => "policy-" + key.replace(/\./g, "-");

  // site: the console's configuration (its policyKeys and clientScopes); t: the console's
  // words in the site's language, with {name} filled in (console.js's text).
  function open(host, api, site, t, done) {
    let settings = null;

    async function load(message) {
      const answer = await api(SETTINGS);
      const error = answer.errors && answer.errors[0];
      if (error && error.extensions && error.extensions.reason === "SECOND_FACTOR_REQUIRED") {
        await secondFactor(() => load(message));
        return;
      }
      if (answer.errors) {
        host.replaceChildren(el("p", { role: "alert" }, answer.errors[0].message));
        return;
      }
      settings = answer.data;
      settings.deliveries = {};
      const webhooks = await api(WEBHOOKS);
      settings.webhooksRefused = webhooks.errors ? webhooks.errors[0].message : null;
      settings.webhookEndpoints = webhooks.data ? webhooks.data.webhookEndpoints : [];
      for (const endpoint of settings.webhookEndpoints) {
        const found = await api(DELIVERIES, { e: endpoint.id });
        settings.deliveries[endpoint.id] = found.data ? found.data.webhookDeliveries : [];
      }
      draw(message);
    }

    // Each problem of a refused change, beside the key it names ("branding.primary_color").
    function showProblems(answer) {
      const error = answer.errors[0];
      const problems = (error.extensions && error.extensions.problems) || [
        { key: (error.extensions && error.extensions.field) || "", rule: error.message },
      ];
      host.querySelectorAll(".problem").forEach((node) => (node.textContent = ""));
      for (const { key, rule } of problems) {
        // A list item's problem beside its row, else beside its list; else at the end.
        const place = host.querySelector(`.problem[data-key="${CSS.escape(key)}"]`) ||
          host.querySelector(`.problem[data-key="${CSS.escape(key.replace(/\[\d+\]$/, ""))}"]`) ||
          host.querySelector(".problem[data-key='*']");
        if (!place) continue;
        place.textContent += (place.textContent ? " " : "") + (place.dataset.key === "*" ? key + ": " : "") + rule;
      }
      host.querySelector("#admin-status").textContent = error.message;
    }

    async function change(query, variables, message) {
      const answer = await api(query, { ...variables, v: settings.tenantSettings.version });
      if (answer.errors) showProblems(answer);
      else await load(message);
    }

    // The second factor: verify with the app's code, or enrol the app first.
    async function secondFactor(then) {
      const me = await api("query ConsoleSecondFactor { me { secondFactorEnrolled } }");
      const status = el("p", { id: "second-factor-status", role: "alert" });
      const failed = (answer) => {
        status.textContent = answer.errors ? answer.errors[0].message : "";
        return Boolean(answer.errors);
      };
      const heading = el("h1", {}, t("secondFactor"));
      const why = el("p", {}, t("secondFactorWhy"));
      if (me.data && me.data.me.secondFactorEnrolled) {
        const code = el("input", { id: "second-factor-code", inputmode: "numeric",
          autocomplete: "one-time-code" });
        host.replaceChildren(heading, why, el("label", { for: "second-factor-code" },
          t("secondFactorCode")), code,
        el("button", { type: "button", id: "verify-second-factor", onclick: async () => {
          const answer = await api("mutation ConsoleVerify($c: String!) { verifySecondFactor(code: $c) { secondFactorVerified } }", { c: code.value });
          if (!failed(answer)) then();
        } }, t("verify")), status);
        return;
      }
      const password = el("input", { id: "enrol-password", type: "password",
        autocomplete: "current-password" });
      host.replaceChildren(heading, why,
        el("p", {}, t("enrolIntro")),
        el("label", { for: "enrol-password" }, t("yourPassword")), password,
        el("button", { type: "button", id: "start-enrolment", onclick: async () => {
          const answer = await api("mutation ConsoleEnrol($p: String!) { enrolSecondFactor(currentPassword: $p) { secret qrCodeSvg } }", { p: password.value });
          if (!failed(answer)) showEnrolment(answer.data.enrolSecondFactor);
        } }, t("begin")), status);

      function showEnrolment(enrolment) {
        // The QR code is drawn by the service itself: no image leaves for a third party.
        // (Read as HTML, which puts an <svg> in the SVG namespace, so that it is drawn.)
        const svg = new DOMParser().parseFromString(enrolment.qrCodeSvg, "text/html").body.firstElementChild;
        svg.setAttribute("id", "second-factor-qr");
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", t("qrCode"));
        const code = el("input", { id: "enrol-code", inputmode: "numeric",
          autocomplete: "one-time-code" });
        host.replaceChildren(heading,
          el("p", {}, t("scanThis")),
          document.importNode(svg, true),
          el("p", {}, t("secret") + " ", el("code", { id: "second-factor-secret" }, enrolment.secret)),
          el("label", { for: "enrol-code" }, t("thenTheCode")), code,
          el("button", { type: "button", id: "confirm-enrolment", onclick: async () => {
            const answer = await api("mutation ConsoleConfirmEnrolment($c: String!) { confirmSecondFactor(code: $c) }", { c: code.value });
            if (!failed(answer)) showRecoveryCodes(answer.data.confirmSecondFactor);
          } }, t("confirm")), status);
      }

      function showRecoveryCodes(codes) {
        host.replaceChildren(heading,
          el("p", {}, t("recoveryCodes")),
          el("ol", { id: "recovery-codes" }, ...codes.map((code) => el("li", {}, el("code", {}, code)))),
          el("button", { type: "button", id: "second-factor-done", onclick: then }, t("continueToSettings")));
      }
    }

    function brandingSection(config) {
      const branding = config.branding || {};
      const inputs = BRANDING.map(([key, name, type]) => {
        const input = el("input", {
          id: "branding-" + name, type: type, value: branding[key] || "",
          oninput: () => preview(),
        });
        return el("div", { class: "field" },
          el("label", { for: "branding-" + name }, key),
          input,
          el("span", { class: "problem", "data-key": "branding." + key, role: "alert" }));
      });
      function values() {
        const out = {};
        for (const [key, name] of BRANDING) {
          const value = host.querySelector("#branding-" + name).value;
          if (value !== (branding[key] || "")) out[name] = value || null;
        }
        return out;
      }
      // The console is the preview: its bar takes the colours, name and logo being typed.
      function preview() {
        const root = document.documentElement.style;
        root.setProperty("--console-primary", host.querySelector("#branding-primaryColor").value);
        root.setProperty("--console-accent", host.querySelector("#branding-accentColor").value);
        const name = document.querySelector(".console-site");
        if (name) name.textContent = host.querySelector("#branding-siteName").value;
        const logo = document.querySelector(".console-logo");
        if (logo) logo.src = host.querySelector("#branding-logoUrl").value;
      }
      return el("section", { "aria-labelledby": "branding-title" },
        el("h2", { id: "branding-title" }, t("branding")),
        ...inputs,
        el("button", {
          type: "button", id: "save-branding",
          onclick: () => change(
            "mutation($b: BrandingInput!, $v: Int) { updateTenantBranding(branding: $b, expectedVersion: $v) { settings { version } } }",
            { b: values() }, t("brandingSaved"))
        }, t("saveBranding")));
    }

    // One policy key's control, by its kind; reading it back gives the key's new value.
    function control(entry, value) {
      const id = idOf(entry.key);
      const problem = el("span", { class: "problem", "data-key": "policy." + entry.key, role: "alert" });
      const help = el("p", { class: "help", id: id + "-help" }, entry.description);
      const described = { "aria-describedby": id + "-help" };
      let input;
      let read;
      if (entry.kind === "group") {
        const inner = entry.keys.map((sub) => control(sub, (value || {})[sub.key.split(".").pop()]));
        const node = el("fieldset", { class: "group", id: id },
          el("legend", {}, entry.key), help, ...inner.map((c) => c.node), problem);
        return { node: node, read: () => {
          const out = {};
          inner.forEach((c, index) => {
            const name = entry.keys[index].key.split(".").pop();
            const next = c.read();
            if (json(next) !== json((value || {})[name])) out[name] = next;
          });
          return Object.keys(out).length ? Object.assign({}, value || {}, out) : value;
        } };
      }
      const label = el("label", { for: id }, entry.key);
      const fallback = t("defaultValue", { value: entry.default === null ? "—" : json(entry.default) });
      if (entry.kind === "boolean" && !entry.nullable) {
        input = el("input", { id: id, type: "checkbox", ...described });
        input.checked = Boolean(value);
        read = () => input.checked;
      } else if (entry.kind === "boolean" || entry.kind === "choice") {
        const options = entry.kind === "boolean" ? [["true", t("on")], ["false", t("off")]] :
          entry.values.map((v) => [v, v]);
        input = el("select", { id: id, ...described },
          entry.nullable ? el("option", { value: "" }, fallback) : null,
          ...options.map(([v, shown]) => el("option", { value: v }, shown)));
        input.value = value === null || value === undefined ? "" : String(value);
        read = () => input.value === "" ? null : entry.kind === "boolean" ? input.value === "true" : input.value;
      } else if (entry.kind === "number") {
        input = el("input", { id: id, type: "number", ...described, step: entry.integer ? "1" : "any",
          min: entry.minimum ?? entry.above ?? undefined, max: entry.maximum ?? undefined,
          placeholder: fallback });
        input.value = value === null || value === undefined ? "" : String(value);
        // Empty goes back to the default; what is typed is sent as typed (the server says
        // what is wrong with it, beside this key).
        read = () => input.value.trim() === "" ? null :
          Number.isNaN(Number(input.value)) ? input.value : Number(input.value);
      } else if (entry.kind === "choices") {
        const boxes = entry.values.map((v) => {
          const box = el("input", { type: "checkbox", id: id + "-" + v, value: v });
          box.checked = (value || []).includes(v);
          return el("label", { class: "choice", for: id + "-" + v }, box, " " + v);
        });
        const node = el("fieldset", { class: "choices", id: id, ...described },
          el("legend", {}, entry.key), help, el("div", { class: "options" }, ...boxes), problem);
        return { node: node, read: () => entry.values.filter((v) => node.querySelector(`#${CSS.escape(id + "-" + v)}`).checked) };
      } else if (entry.kind === "list") {
        const rows = el("ul", { class: "rows", id: id });
        const addRow = (text, focus) => {
          const index = rows.children.length;
          const field = el("input", { type: "text", value: text, class: "row-value",
            "aria-label": entry.key + " " + (index + 1) });
          const row = el("li", {}, field,
            el("button", { type: "button", class: "remove-row", "aria-label": t("remove", { value: text || entry.key + " " + (index + 1) }),
              onclick: () => {
                const next = row.nextElementSibling || row.previousElementSibling;
                row.remove();
                (next ? next.querySelector("input") : adder).focus();
              } }, "×"),
            el("span", { class: "problem", "data-key": `policy.${entry.key}[${index}]`, role: "alert" }));
          rows.append(row);
          if (focus) field.focus();
        };
        (value || []).forEach((text) => addRow(text, false));
        const adder = el("button", { type: "button", class: "add-row", id: id + "-add",
          onclick: () => addRow("", true) }, t("add"));
        const node = el("fieldset", { class: "list", ...described },
          el("legend", {}, entry.key), help, rows, adder, problem);
        return { node: node, read: () => Array.from(rows.querySelectorAll(".row-value"))
          .map((field) => field.value.trim()).filter((text) => text !== "") };
      } else if (entry.kind === "text") {
        input = el("input", { id: id, type: "text", ...described, placeholder: fallback });
        input.value = value === null || value === undefined ? "" : value;
        read = () => input.value.trim() === "" ? null : input.value.trim();
      } else {
        input = el("textarea", { id: id, rows: 4, ...described }, JSON.stringify(value, null, 1));
        read = () => {
          let next;
          try { next = input.value.trim() === "" ? null : JSON.parse(input.value); }
          catch (error) { return { notJson: true }; }
          // The change is a merge patch: a key deleted from the text is sent as null, so
          // that it goes (else it would stay as it was).
          if (next && typeof next === "object" && !Array.isArray(next)) {
            for (const name of Object.keys(value || {})) if (!(name in next)) next[name] = null;
          }
          return next;
        };
      }
      return { node: el("div", { class: "field" }, label, input, help, problem), read: read };
    }

    function policySection(config) {
      const policy = config.policy || {};
      const partner = Boolean(config.parent);
      // A main site has no feed: it shows its own postings.
      const entries = site.policyKeys.filter((entry) => entry.key !== "feed" || partner);
      const controls = entries.map((entry) => [entry, control(entry, policy[entry.key])]);
      function patch() {
        const changes = {};
        const refused = [];
        for (const [entry, c] of controls) {
          const next = c.read();
          if (next && next.notJson) refused.push({ key: "policy." + entry.key, rule: t("notJson") });
          else if (json(next) !== json(policy[entry.key])) changes[entry.key] = next;
        }
        return [changes, refused];
      }
      return el("section", { "aria-labelledby": "policy-title" },
        el("h2", { id: "policy-title" }, t("policy")),
        el("p", {}, t("policyIntro")),
        ...controls.map(([, c]) => c.node),
        el("span", { class: "problem", "data-key": "*", role: "alert" }),
        el("button", {
          type: "button", id: "save-policy",
          onclick: () => {
            const [changes, refused] = patch();
            if (refused.length) {
              showProblems({ errors: [{ message: t("someNotJson"), extensions: { problems: refused } }] });
              return;
            }
            change(
              "mutation($c: JSON!, $v: Int) { updateTenantPolicy(changes: $c, expectedVersion: $v) { settings { version } } }",
              { c: changes }, t("policySaved"));
          },
        }, t("savePolicy")));
    }

    function historySection(history) {
      return el("section", { "aria-labelledby": "history-title" },
        el("h2", { id: "history-title" }, t("history")),
        el("ol", { class: "history" }, ...history.map((entry) => el("li", {},
          el("strong", {}, t("version", { version: entry.version })),
          ` · ${entry.actorName} · ${new Date(entry.changedAt).toLocaleString(document.documentElement.lang || undefined)}`,
          entry.note ? ` · “${entry.note}”` : null,
          el("ul", {}, ...entry.changes.slice(0, 12).map((c) =>
            el("li", {}, `${c.key}: ${json(c.before)} → ${json(c.after)}`))),
          entry.version === settings.tenantSettings.version ? el("em", {}, " " + t("current")) :
            el("button", {
              type: "button", class: "restore",
              onclick: () => change(
                "mutation($r: Int!) { restoreTenantVersion(version: $r, note: \"restored in the console\") { settings { version } } }",
                { r: entry.version }, t("restored", { version: entry.version })),
            }, t("restore", { version: entry.version }))))));
    }

    function table(headings, items, cells) {
      return el("table", {},
        el("thead", {}, el("tr", {}, ...headings.map((heading) => el("th", { scope: "col" }, heading)))),
        el("tbody", {}, ...items.map((item) => el("tr", {}, ...cells(item).map((cell) => el("td", {}, cell))))));
    }

    function partnersSection(data) {
      const keyName = el("input", { id: "site-key-name", type: "text", value: "" });
      const clientName = el("input", { id: "client-name", type: "text", value: "" });
      const scopes = site.clientScopes.map((scope) => {
        const box = el("input", { type: "checkbox", id: "client-scope-" + scope, value: scope });
        box.checked = true;
        return el("label", { class: "choice", for: "client-scope-" + scope }, box, " " + scope);
      });
      const state = (item) => (item.revokedAt ? t("revoked") : t("active"));
      return el("section", { "aria-labelledby": "partners-title" },
        el("h2", { id: "partners-title" }, t("partners")),
        el("h3", {}, t("siteKeys")),
        table([t("columnName"), t("columnId"), t("columnKey"), t("columnState")], data.siteKeys,
          (k) => [k.name, el("code", {}, k.id), el("code", {}, k.key), k.revokedAt ? state(k) : el("button", {
            type: "button", "aria-label": `${t("revoke")} ${k.name} (${k.id})`,
            onclick: () => change("mutation($id: ID!) { revokeSiteKey(id: $id) { id } }", { id: k.id }, t("keyRevoked")),
          }, t("revoke"))]),
        el("div", { class: "create" }, el("label", { for: "site-key-name" }, t("keyName")), keyName,
          el("button", {
            type: "button", id: "new-site-key",
            onclick: () => change("mutation($n: String!) { createSiteKey(name: $n) { id } }",
              { n: keyName.value.trim() || "console" }, t("siteKeyCreated")),
          }, t("newSiteKey"))),
        el("h3", {}, t("clients")),
        table([t("columnName"), t("columnId"), t("scopes"), t("columnState")], data.oauthClients,
          (c) => [c.name, el("code", {}, c.clientId), c.scopes.join(" "), c.revokedAt ? state(c) : el("button", {
            type: "button", "aria-label": `${t("revoke")} ${c.name} (${c.clientId})`,
            onclick: () => change("mutation($id: ID!) { revokeOAuthClient(id: $id) { id } }", { id: c.id }, t("clientRevoked")),
          }, t("revoke"))]),
        el("div", { class: "create" }, el("label", { for: "client-name" }, t("clientName")), clientName,
          el("fieldset", { class: "choices" }, el("legend", {}, t("scopes")), ...scopes),
          el("button", {
            type: "button", id: "new-client",
            onclick: async () => {
              const chosen = site.clientScopes.filter((scope) => host.querySelector("#" + CSS.escape("client-scope-" + scope)).checked);
              const answer = await api(
                "mutation($n: String!, $s: [ClientScope!]!) { createOAuthClient(name: $n, scopes: $s) { clientSecret } }",
                { n: clientName.value.trim() || "partner server", s: chosen });
              if (answer.errors) showProblems(answer);
              else await load(t("clientCreated", { secret: answer.data.createOAuthClient.clientSecret }));
            },
          }, t("newClient"))),
        el("h3", {}, t("trustedDocuments")),
        table([t("columnName"), t("columnId"), "sha256"], data.trustedDocuments,
          (d) => [d.client, el("code", {}, d.operation), el("code", {}, d.id.slice(0, 19) + "…")]),
        el("h3", {}, t("webhooks")),
        data.webhookEndpoints.length ? el("ul", { class: "endpoints" }, ...data.webhookEndpoints.map((endpoint) =>
          el("li", {}, el("code", {}, endpoint.url), " ", endpoint.events.join(", "),
            el("h4", {}, t("deliveries")),
            table(["", "", "", ""], data.deliveries[endpoint.id] || [], (d) => [
              new Date(d.createdAt).toLocaleString(document.documentElement.lang || undefined),
              d.event, `${d.status} (${d.attempts}${d.lastStatusCode ? ", HTTP " + d.lastStatusCode : ""})`,
              el("button", {
                type: "button", class: "redeliver", "aria-label": `${t("redeliver")} ${d.event} ${d.id}`,
                onclick: () => change("mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id } }", { d: d.id }, t("redelivered")),
              }, t("redeliver"))])))) :
          el("p", {}, data.webhooksRefused || t("noWebhooks")));
    }

    function draw(message) {
      const config = settings.tenantSettings.config;
      host.replaceChildren(
        el("div", { class: "admin-head" },
          el("h1", {}, t("settingsTitle", { slug: settings.tenantSettings.slug, version: settings.tenantSettings.version })),
          el("button", { type: "button", id: "close-settings", onclick: done }, t("backToConsole"))),
        el("p", { id: "admin-status", role: "status" }, message || ""),
        brandingSection(config),
        policySection(config),
        historySection(settings.tenantHistory),
        partnersSection(settings));
    }

    load();
  }

  window.jobgraphAdmin = { open: open };
})();
