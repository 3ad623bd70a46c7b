// <jobgraph-search site-key="pk_..."></jobgraph-search>: a site's job search in a partner's
// page. One self-hosted module, no build step: it calls the jobgraph it was loaded from
// (or the `api` attribute's URL) with the site key, in the site's branding and language.
const SEARCH = `query WidgetSearch($q: String, $filter: JobFilterInput, $after: String) {
  tenant { branding { siteName primaryColor accentColor locale } }
  jobs(search: $q, filter: $filter, first: 10, after: $after) {
    totalCount
    edges { node { id title company { name } location { prefecture city } } }
    pageInfo { hasNextPage endCursor }
    facets { category { value count } prefecture { value count } }
  }
}`;

const WORDS = {
  en: {
    label: "Search jobs",
    search: "Search",
    more: "More jobs",
    found: (n) => `${n} ${n === 1 ? "job" : "jobs"}`,
    none: "No jobs match your search. Try other words, or fewer filters.",
    category: "Category",
    prefecture: "Prefecture",
    loading: "Searching…",
    origin: (origin) =>
      `This page (${origin}) may not use this site key: the site's admin adds the origin ` +
      "to allowed_origins.",
    key: "The site key is unknown or revoked: ask the site's admin for a current one.",
    network: "The job search cannot be reached right now; try again in a moment.",
  },
  ja: {
    label: "求人を検索",
    search: "検索",
    more: "さらに表示",
    found: (n) => `${n} 件の求人`,
    none: "条件に合う求人はありません。別の言葉や、少ない条件でお試しください。",
    category: "職種",
    prefecture: "都道府県",
    loading: "検索しています…",
    origin: (origin) =>
      `このページ（${origin}）ではこのサイトキーを使えません。サイト管理者が ` +
      "allowed_origins にオリジンを追加してください。",
    key: "サイトキーが無効です。サイト管理者に有効なキーを確認してください。",
    network: "求人検索に接続できません。しばらくしてからもう一度お試しください。",
  },
};

const STYLE = `
:host { display: block; font-family: system-ui, sans-serif; --primary: #333; --accent: #888; }
form { display: flex; gap: .5rem; }
input { flex: 1; padding: .4rem .6rem; border: 1px solid #999; border-radius: 4px; }
button { padding: .4rem .8rem; border: 0; border-radius: 4px; cursor: pointer;
  background: var(--primary); color: #fff; }
button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); }
.facets { display: flex; flex-wrap: wrap; gap: .3rem; margin: .6rem 0; }
.facets button { background: #eee; color: #000; font-size: .85rem; }
.facets button[aria-pressed="true"] { background: var(--accent); }
ul { list-style: none; padding: 0; }
li { padding: .5rem 0; border-bottom: 1px solid #ddd; }
.title { font-weight: 600; color: var(--primary); }
[role="status"] { min-height: 1.2em; margin: .4rem 0; }
`;

class JobgraphSearch extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    this.endpoint = this.getAttribute("api") || new URL("/graphql", import.meta.url).href;
    this.words = WORDS[(document.documentElement.lang || "en").slice(0, 2)] || WORDS.en;
    this.filter = {};
    root.innerHTML = `<style>${STYLE}</style>
      <form role="search"><input type="search" aria-label="">
        <button type="submit"></button></form>
      <div role="status" aria-live="polite"></div>
      <div class="facets" role="group"></div>
      <ul></ul>
      <button class="more" type="button" hidden></button>`;
    this.form = root.querySelector("form");
    this.status = root.querySelector('[role="status"]');
    this.facets = root.querySelector(".facets");
    this.list = root.querySelector("ul");
    this.more = root.querySelector(".more");
    this.label();
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
    this.more.addEventListener("click", () => this.search(this.after));
    this.search();
  }

  label() {
    this.form.querySelector("input").setAttribute("aria-label", this.words.label);
    this.form.querySelector("input").placeholder = this.words.label;
    this.form.querySelector("button").textContent = this.words.search;
    this.more.textContent = this.words.more;
  }

  async search(after) {
    this.status.textContent = this.words.loading;
    const variables = {
      q: this.form.querySelector("input").value || null,
      filter: Object.keys(this.filter).length ? this.filter : null,
      after: after || null,
    };
    let body;
    try {
      const response = await fetch(this.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Site-Key": this.getAttribute("site-key") },
        body: JSON.stringify({ query: SEARCH, variables }),
      });
      body = await response.json();
    } catch (error) {
      // A browser hides a refused origin behind a network error: say what to check.
      this.status.textContent = navigator.onLine
        ? this.words.origin(location.origin) : this.words.network;
      return;
    }
    if (body.errors) {
      const code = body.errors[0].extensions && body.errors[0].extensions.code;
      this.status.textContent =
        code === "UNAUTHENTICATED" ? this.words.key
        : code === "FORBIDDEN" ? this.words.origin(location.origin)
        : body.errors[0].message;
      return;
    }
    this.show(body.data, Boolean(after));
  }

  show(data, appending) {
    const branding = data.tenant.branding;
    this.style.setProperty("--primary", branding.primaryColor);
    this.style.setProperty("--accent", branding.accentColor);
    const language = (this.getAttribute("lang") || branding.locale || "en").slice(0, 2);
    if (WORDS[language] && this.words !== WORDS[language]) {
      this.words = WORDS[language];
      this.label();
    }
    const jobs = data.jobs;
    this.status.textContent = jobs.totalCount ? this.words.found(jobs.totalCount) : this.words.none;
    const items = jobs.edges.map(({ node }) => {
      const item = document.createElement("li");
      const title = document.createElement("div");
      title.className = "title";
      title.textContent = node.title;
      const where = [node.location.city, node.location.prefecture].filter(Boolean).join(", ");
      const detail = document.createElement("div");
      detail.textContent = `${node.company.name}${where ? " · " + where : ""}`;
      item.append(title, detail);
      return item;
    });
    if (appending) this.list.append(...items);
    else this.list.replaceChildren(...items);
    this.after = jobs.pageInfo.endCursor;
    this.more.hidden = !jobs.pageInfo.hasNextPage;
    if (!appending) this.showFacets(jobs.facets);
  }

  showFacets(facets) {
    const buttons = [];
    for (const [name, key] of [["category", "categories"], ["prefecture", "prefecture"]]) {
      for (const { value, count } of facets[name].slice(0, 8)) {
        const chosen = key === "categories"
          ? (this.filter.categories || []).includes(value) : this.filter.prefecture === value;
        const button = document.createElement("button");
        button.type = "button";
        button.setAttribute("aria-pressed", String(chosen));
        button.setAttribute("aria-label", `${this.words[name]}: ${value} (${count})`);
        button.textContent = `${value} (${count})`;
        button.addEventListener("click", () => {
          if (key === "categories") this.filter.categories = chosen ? undefined : [value];
          else this.filter.prefecture = chosen ? undefined : value;
          this.filter = JSON.parse(JSON.stringify(this.filter));  // drops the undefined
          this.search();
        });
        buttons.push(button);
      }
    }
    this.facets.setAttribute("aria-label", `${this.words.category} / ${this.words.prefecture}`);
    this.facets.replaceChildren(...buttons);
  }
}

if (!customElements.get("jobgraph-search")) customElements.define("jobgraph-search", JobgraphSearch);
