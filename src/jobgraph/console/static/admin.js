// The site settings screen of the console, for the site's admins and platform operators:
// branding with a live preview (the console itself), each policy key with its explanation
// (docs/tenants.md) and value, every problem of a change beside its key, the history with
// who changed what and one-click restore, and the site's keys, clients and documents. It
// uses only the GraphQL API the console signs in to. Staff whose session has not passed the
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

  function open(host, api, helpTexts, done) {
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
        const place = host.querySelector(`.problem[data-key="${CSS.escape(key)}"]`) ||
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
      const heading = el("h1", {}, "Second factor");
      const why = el("p", {}, "Staff reach settings and personal data only after a second " +
        "factor: a code from an authenticator app on your phone (it holds for 12 hours).");
      if (me.data && me.data.me.secondFactorEnrolled) {
        const code = el("input", { id: "second-factor-code", inputmode: "numeric",
          autocomplete: "one-time-code", "aria-label": "Code" });
        host.replaceChildren(heading, why, el("label", { for: "second-factor-code" },
          "The code your app shows now, or a recovery code"), code,
        el("button", { type: "button", id: "verify-second-factor", onclick: async () => {
          const answer = await api("mutation ConsoleVerify($c: String!) { verifySecondFactor(code: $c) { secondFactorVerified } }", { c: code.value });
          if (!failed(answer)) then();
        } }, "Verify"), status);
        return;
      }
      const password = el("input", { id: "enrol-password", type: "password",
        autocomplete: "current-password", "aria-label": "Password" });
      host.replaceChildren(heading, why,
        el("p", {}, "You have none yet. Enrol an app (any TOTP app: FreeOTP, Aegis, Google " +
          "Authenticator…): confirm your password to begin."),
        el("label", { for: "enrol-password" }, "Your password"), password,
        el("button", { type: "button", id: "start-enrolment", onclick: async () => {
          const answer = await api("mutation ConsoleEnrol($p: String!) { enrolSecondFactor(currentPassword: $p) { secret qrCodeSvg } }", { p: password.value });
          if (!failed(answer)) showEnrolment(answer.data.enrolSecondFactor);
        } }, "Begin"), status);

      function showEnrolment(enrolment) {
        // The QR code is drawn by the service itself: no image leaves for a third party.
        // (Read as HTML, which puts an <svg> in the SVG namespace, so that it is drawn.)
        const svg = new DOMParser().parseFromString(enrolment.qrCodeSvg, "text/html").body.firstElementChild;
        svg.setAttribute("id", "second-factor-qr");
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", "QR code for your authenticator app");
        const code = el("input", { id: "enrol-code", inputmode: "numeric",
          autocomplete: "one-time-code", "aria-label": "Code" });
        host.replaceChildren(heading,
          el("p", {}, "Scan this with your authenticator app, or type the secret into it:"),
          document.importNode(svg, true),
          el("p", {}, "Secret: ", el("code", { id: "second-factor-secret" }, enrolment.secret)),
          el("label", { for: "enrol-code" }, "Then the code the app shows"), code,
          el("button", { type: "button", id: "confirm-enrolment", onclick: async () => {
            const answer = await api("mutation ConsoleConfirmEnrolment($c: String!) { confirmSecondFactor(code: $c) }", { c: code.value });
            if (!failed(answer)) showRecoveryCodes(answer.data.confirmSecondFactor);
          } }, "Confirm"), status);
      }

      function showRecoveryCodes(codes) {
        host.replaceChildren(heading,
          el("p", {}, "Enrolled. Keep these recovery codes somewhere safe: each works once " +
            "instead of the app, if you lose your phone. They are shown only now."),
          el("ol", { id: "recovery-codes" }, ...codes.map((code) => el("li", {}, el("code", {}, code)))),
          el("button", { type: "button", id: "second-factor-done", onclick: then }, "Continue to the settings"));
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
        el("h2", { id: "branding-title" }, "Branding"),
        ...inputs,
        el("button", {
          type: "button", id: "save-branding",
          onclick: () => change(
            "mutation($b: BrandingInput!, $v: Int) { updateTenantBranding(branding: $b, expectedVersion: $v) { settings { version } } }",
            { b: values() }, "Branding saved.")
        }, "Save branding"));
    }

    function policySection(config) {
      const policy = config.policy || {};
      const keys = Array.from(new Set([...Object.keys(helpTexts), ...Object.keys(policy)]))
        .filter((key) => !key.startsWith("["));
      const rows = keys.map((key) => {
        const help = helpTexts[key] || {};
        return el("tr", {},
          el("th", { scope: "row" }, el("label", { for: "policy-" + key }, key)),
          el("td", {}, help.seekers && help.seekers !== "—" ? el("p", {}, "Seekers: " + help.seekers) : null,
            help.others && help.others !== "—" ? el("p", {}, "Employers and visitors: " + help.others) : null),
          el("td", {},
            el("textarea", { id: "policy-" + key, rows: 2, "data-key": key, placeholder: "(the default)" },
              json(policy[key])),
            el("span", { class: "problem", "data-key": "policy." + key, role: "alert" })));
      });
      function patch() {
        const changes = {};
        const refused = [];
        for (const input of host.querySelectorAll("textarea[data-key]")) {
          const key = input.dataset.key;
          if (input.value === json(policy[key])) continue;
          try {
            changes[key] = input.value.trim() === "" ? null : JSON.parse(input.value);
          } catch (error) {
            refused.push({ key: "policy." + key, rule: "is not a JSON value (strings in quotes)" });
          }
        }
        return [changes, refused];
      }
      return el("section", { "aria-labelledby": "policy-title" },
        el("h2", { id: "policy-title" }, "Policy"),
        el("p", {}, "Values are JSON: true, 30, \"PRIVATE\", [\"SKILLS\"]; empty restores the default."),
        el("table", {}, el("tbody", {}, ...rows)),
        el("span", { class: "problem", "data-key": "*", role: "alert" }),
        el("button", {
          type: "button", id: "save-policy",
          onclick: () => {
            const [changes, refused] = patch();
            if (refused.length) {
              showProblems({ errors: [{ message: "Some values are not JSON.", extensions: { problems: refused } }] });
              return;
            }
            change(
              "mutation($c: JSON!, $v: Int) { updateTenantPolicy(changes: $c, expectedVersion: $v) { settings { version } } }",
              { c: changes }, "Policy saved.");
          },
        }, "Save policy"));
    }

    function historySection(history) {
      return el("section", { "aria-labelledby": "history-title" },
        el("h2", { id: "history-title" }, "History"),
        el("ol", { class: "history" }, ...history.map((entry) => el("li", {},
          el("strong", {}, `Version ${entry.version}`),
          ` · ${entry.actorName} · ${new Date(entry.changedAt).toLocaleString()}`,
          entry.note ? ` · “${entry.note}”` : null,
          el("ul", {}, ...entry.changes.slice(0, 12).map((c) =>
            el("li", {}, `${c.key}: ${json(c.before)} → ${json(c.after)}`))),
          entry.version === settings.tenantSettings.version ? el("em", {}, " (current)") :
            el("button", {
              type: "button", class: "restore",
              onclick: () => change(
                "mutation($r: Int!) { restoreTenantVersion(version: $r, note: \"restored in the console\") { settings { version } } }",
                { r: entry.version }, `Version ${entry.version} restored.`),
            }, `Restore version ${entry.version}`)))));
    }

    function partnersSection(data) {
      const rows = (items, cells) => el("table", {}, el("tbody", {}, ...items.map((item) =>
        el("tr", {}, ...cells(item).map((cell) => el("td", {}, cell))))));
      return el("section", { "aria-labelledby": "partners-title" },
        el("h2", { id: "partners-title" }, "Site keys, clients and trusted documents"),
        el("h3", {}, "Site keys"),
        rows(data.siteKeys, (k) => [k.name, el("code", {}, k.key), k.revokedAt ? "revoked" : el("button", {
          type: "button",
          onclick: () => change("mutation($id: ID!) { revokeSiteKey(id: $id) { id } }", { id: k.id }, "Key revoked."),
        }, "Revoke")]),
        el("button", {
          type: "button", id: "new-site-key",
          onclick: () => change('mutation { createSiteKey(name: "console") { id } }', {}, "Site key created."),
        }, "New site key"),
        el("h3", {}, "Partner-server clients"),
        rows(data.oauthClients, (c) => [c.name, el("code", {}, c.clientId), c.scopes.join(" "), c.revokedAt ? "revoked" : "active"]),
        el("h3", {}, "Trusted documents"),
        rows(data.trustedDocuments, (d) => [d.client, el("code", {}, d.operation), el("code", {}, d.id.slice(0, 19) + "…")]));
    }

    function draw(message) {
      const config = settings.tenantSettings.config;
      host.replaceChildren(
        el("div", { class: "admin-head" },
          el("h1", {}, `Site settings: ${settings.tenantSettings.slug} (version ${settings.tenantSettings.version})`),
          el("button", { type: "button", id: "close-settings", onclick: done }, "Back to the console")),
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
