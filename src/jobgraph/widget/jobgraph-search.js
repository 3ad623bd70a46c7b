// <jobgraph-search site-key="pk_..."></jobgraph-search>: a site's job search in a partner's
// page. One self-hosted module, no build step: it calls the jobgraph it was loaded from
// (or the `api` attribute's URL) with the site key, in the site's branding and language
// (or the `lang` attribute's). Each result links to the posting's page; a <template> inside
// the element, if any, is each result's markup (docs/tenants.md, "Embedding job search").
const RESULT = `edges { node { id title url category employmentType company { name }
      location { city prefectureInfo { name nameJa } } } }
    pageInfo { hasNextPage endCursor }`;
// A new search: its results and what the search understood first, then (deferred: they
// cost the most) their count and facets.
const SEARCH = `query WidgetSearch($q: String, $filter: JobFilterInput) {
  tenant { branding { siteName primaryColor accentColor locale } }
  jobs(search: $q, filter: $filter, first: 10) {
    suggestion
    broadened { droppedTerm searchedFor }
    ${RESULT}
    ... @defer(label: "counts") {
      totalCount
      facets {
        category { value count }
        employmentType { value count }
        prefecture { value count prefecture { name nameJa } }
      }
    }
  }
}`;
// "More": only the next results (the counts, the costliest part, are already shown).
const MORE = `query WidgetMore($q: String, $filter: JobFilterInput, $after: String) {
  tenant { branding { siteName primaryColor accentColor locale } }
  jobs(search: $q, filter: $filter, first: 10, after: $after) { ${RESULT} }
}`;

const WORDS = {
  en: {
    label: "Search jobs",
    search: "Search",
    more: "More jobs",
    found: (n) => `${n} ${n === 1 ? "job" : "jobs"}`,
    none: "No jobs match your search. Try other words, or fewer filters.",
    broadened: (word, searched) =>
      `No job matches every word: showing jobs for “${searched}”, without “${word}”.`,
    suggestion: "Did you mean",
    filters: "Filters",
    remove: (label) => `Remove the filter ${label}`,
    clear: "Clear all filters",
    results: "Jobs",
    category: "Category",
    employmentType: "Employment",
    prefecture: "Prefecture",
    loading: "Searching…",
    origin: (origin) =>
      `This page (${origin}) may not use this site key: the site's admin adds the origin ` +
      "to allowed_origins.",
    key: "The site key is unknown or revoked: ask the site's admin for a current one.",
    network: "The job search cannot be reached right now; try again in a moment.",
    labels: {
      ENGINEERING: "Engineering", TEACHING: "Teaching", SALES: "Sales",
      MARKETING: "Marketing", HOSPITALITY: "Hospitality", FINANCE: "Finance",
      DESIGN: "Design", TRANSLATION: "Translation", CUSTOMER_SUPPORT: "Customer support",
      OTHER: "Other", FULL_TIME: "Full-time", PART_TIME: "Part-time", CONTRACT: "Contract",
      INTERNSHIP: "Internship",
    },
  },
  ja: {
    label: "求人を検索",
    search: "検索",
    more: "さらに表示",
    found: (n) => `${n} 件の求人`,
    none: "条件に合う求人はありません。別の言葉や、少ない条件でお試しください。",
    broadened: (word, searched) =>
      `すべての言葉に合う求人はありません。「${word}」を除いた「${searched}」の求人を表示しています。`,
    suggestion: "もしかして",
    filters: "絞り込み",
    remove: (label) => `絞り込み「${label}」を外す`,
    clear: "絞り込みをすべて外す",
    results: "求人",
    category: "職種",
    employmentType: "雇用形態",
    prefecture: "都道府県",
    loading: "検索しています…",
    origin: (origin) =>
      `このページ（${origin}）ではこのサイトキーを使えません。サイト管理者が ` +
      "allowed_origins にオリジンを追加してください。",
    key: "サイトキーが無効です。サイト管理者に有効なキーを確認してください。",
    network: "求人検索に接続できません。しばらくしてからもう一度お試しください。",
    labels: {
      ENGINEERING: "エンジニア", TEACHING: "教育・講師", SALES: "営業",
      MARKETING: "マーケティング", HOSPITALITY: "接客・ホテル", FINANCE: "金融・経理",
      DESIGN: "デザイン", TRANSLATION: "翻訳・通訳", CUSTOMER_SUPPORT: "カスタマーサポート",
      OTHER: "その他", FULL_TIME: "正社員", PART_TIME: "パート・アルバイト",
      CONTRACT: "契約社員", INTERNSHIP: "インターンシップ",
    },
  },
};

// Each facet: the filter key it sets, whether that key holds a list.
const FACETS = [
  ["category", "categories", true],
  ["employmentType", "employmentTypes", true],
  ["prefecture", "prefecture", false],
];

const STYLE = `
:host { display: block; font-family: system-ui, sans-serif; --primary: #333; --accent: #888; }
form { display: flex; gap: .5rem; }
input { flex: 1; padding: .4rem .6rem; border: 1px solid #767676; border-radius: 4px; }
button { padding: .4rem .8rem; border: 0; border-radius: 4px; cursor: pointer;
  background: var(--primary); color: #fff; }
button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid var(--accent);
  outline-offset: 2px; }
.facets, .chips { display: flex; flex-wrap: wrap; gap: .3rem; margin: .6rem 0; }
.facets button { background: #eee; color: #000; font-size: .85rem; }
.facets button[aria-pressed="true"] { background: #000; color: #fff; }
.chips button { background: #fff; color: #000; border: 1px solid #000; font-size: .85rem; }
ul { list-style: none; padding: 0; }
li { padding: .5rem 0; border-bottom: 1px solid #ddd; }
.title { font-weight: 600; color: var(--primary); }
.notice { margin: .4rem 0; }
.notice button { background: none; color: var(--primary); text-decoration: underline;
  padding: 0 .2rem; }
[role="status"] { min-height: 1.2em; margin: .4rem 0; }
`;

// An answer's JSON payloads as they arrive: one for a whole answer, several for one in
// parts (multipart/mixed: each part's headers, then Content-Length bytes of JSON). The
// console reads results in parts with it too (console/static/console.js).
export const PARTS = "multipart/mixed";

export async function* payloads(response) {
  if (!(response.headers.get("content-type") || "").startsWith(PARTS)) {
    yield await response.json();
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    const joined = new Uint8Array(buffer.length + value.length);
    joined.set(buffer);
    joined.set(value, buffer.length);
    buffer = joined;
    for (;;) {
      const end = headersEnd(buffer);
      if (end < 0) break;
      const head = decoder.decode(buffer.subarray(0, end));
      const length = Number((head.match(/content-length:\s*(\d+)/i) || [])[1]);
      if (buffer.length < end + length) break;
      yield JSON.parse(decoder.decode(buffer.subarray(end, end + length)));
      buffer = buffer.subarray(end + length);
    }
  }
}

// Where a part's body begins: after its first empty line (CR LF CR LF); -1 until it came.
function headersEnd(bytes) {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i - 3] === 13 && bytes[i - 2] === 10 && bytes[i - 1] === 13 && bytes[i] === 10) {
      return i + 1;
    }
  }
  return -1;
}

class JobgraphSearch extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    this.endpoint = this.getAttribute("api") || new URL("/graphql", import.meta.url).href;
    this.words = WORDS[this.language(null)] || WORDS.en;
    this.filter = {};
    this.runs = 0;
    this.template = this.querySelector("template");
    root.innerHTML = `<style>${STYLE}</style>
      <form role="search"><input type="search">
        <button type="submit"></button></form>
      <div role="status" aria-live="polite"></div>
      <p class="notice" hidden></p>
      <div class="chips" role="group" hidden></div>
      <div class="facets" role="group"></div>
      <ul></ul>
      <button class="more" type="button" hidden></button>`;
    this.form = root.querySelector("form");
    this.input = root.querySelector("input");
    this.status = root.querySelector('[role="status"]');
    this.notice = root.querySelector(".notice");
    this.chips = root.querySelector(".chips");
    this.facets = root.querySelector(".facets");
    this.list = root.querySelector("ul");
    this.more = root.querySelector(".more");
    this.label();
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.query = this.input.value || null;
      this.search();
    });
    this.more.addEventListener("click", () => {
      this.focusAfter = "first-new";
      this.search(this.after);
    });
    this.search();
  }

  // The widget's language: its own `lang` attribute, else the site's, else the page's.
  language(siteLocale) {
    return (this.getAttribute("lang") || siteLocale || document.documentElement.lang || "en")
      .slice(0, 2).toLowerCase();
  }

  label() {
    this.input.setAttribute("aria-label", this.words.label);
    this.input.placeholder = this.words.label;
    this.form.querySelector("button").textContent = this.words.search;
    this.more.textContent = this.words.more;
    this.list.setAttribute("aria-label", this.words.results);
    this.chips.setAttribute("aria-label", this.words.filters);
  }

  async search(after) {
    const run = ++this.runs;  // a newer search's answer replaces this one's parts
    this.status.textContent = this.words.loading;
    const variables = {
      q: this.query || null,
      filter: Object.keys(this.filter).length ? this.filter : null,
    };
    if (after) variables.after = after;
    let jobs;
    try {
      const response = await fetch(this.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: `${PARTS}, application/json`,
          "X-Site-Key": this.getAttribute("site-key") },
        body: JSON.stringify({ query: after ? MORE : SEARCH, variables }),
      });
      for await (const body of payloads(response)) {
        if (run !== this.runs) return;
        const errors = body.errors || (body.incremental || []).flatMap((part) => part.errors || []);
        if (errors.length) return this.failWith(errors[0]);
        if (body.data) {
          jobs = body.data.jobs;
          this.show(body.data, Boolean(after));
        }
        // The counts, deferred: they follow the rows (one deferred part, at "jobs").
        for (const part of body.incremental || []) Object.assign(jobs, part.data);
        if (body.incremental) this.showCounts(jobs);
      }
    } catch (error) {
      if (run !== this.runs) return;
      // A browser hides a refused origin behind a network error: say what to check.
      this.fail(navigator.onLine ? this.words.origin(location.origin) : this.words.network);
    }
  }

  failWith(error) {
    const code = error.extensions && error.extensions.code;
    this.fail(
      code === "UNAUTHENTICATED" ? this.words.key
      : code === "FORBIDDEN" ? this.words.origin(location.origin)
      : error.message);
  }

  // An error replaces what was shown: no stale results under it. The filters stay, to
  // be removed.
  fail(message) {
    this.focusAfter = null;
    this.status.textContent = message;
    this.list.replaceChildren();
    this.facets.replaceChildren();
    this.notice.hidden = true;
    this.more.hidden = true;
    this.showChips();
  }

  show(data, appending) {
    const branding = data.tenant.branding;
    this.style.setProperty("--primary", branding.primaryColor);
    this.style.setProperty("--accent", branding.accentColor);
    const language = this.language(branding.locale);
    if (WORDS[language] && this.words !== WORDS[language]) {
      this.words = WORDS[language];
      this.label();
    }
    const jobs = data.jobs;
    if (!appending && jobs.broadened) this.query = jobs.broadened.searchedFor;  // page on with it
    if (appending) this.status.textContent = this.found;
    else if (!jobs.edges.length) this.status.textContent = this.words.none;
    const items = jobs.edges.map(({ node }) => this.item(node));
    if (appending) this.list.append(...items);
    else this.list.replaceChildren(...items);
    this.after = jobs.pageInfo.endCursor;
    this.more.hidden = !jobs.pageInfo.hasNextPage;
    if (appending) {
      this.restoreFocus(items);
      return;
    }
    this.showNotice(jobs);
    this.showChips();
    this.shownItems = items;
    if ("totalCount" in jobs) this.showCounts(jobs);  // not deferred after all
  }

  // The count and the facets of a new search, which arrive after its first results; focus
  // goes where it belongs once the facets are drawn (a facet pressed is drawn anew).
  showCounts(jobs) {
    this.status.textContent = jobs.totalCount ? this.words.found(jobs.totalCount) : this.words.none;
    this.found = this.status.textContent;
    this.showFacets(jobs.facets);
    this.restoreFocus(this.shownItems || []);
  }

  // A result: the element's <template> if it has one (data-job="title", "link",
  // "company", "place", "category", "employment" are filled), else a link and a line.
  item(node) {
    const href = node.url || new URL(`/jobs/${node.id}`, this.endpoint).href;
    const place = [node.location.city, this.prefectureName(node.location.prefectureInfo)]
      .filter(Boolean).join(", ");
    const item = document.createElement("li");
    if (this.template) {
      item.append(this.template.content.cloneNode(true));
      const fill = { title: node.title, company: node.company.name, place: place,
        category: this.words.labels[node.category] || node.category,
        employment: this.words.labels[node.employmentType] || node.employmentType };
      for (const [field, text] of Object.entries(fill)) {
        item.querySelectorAll(`[data-job="${field}"]`).forEach((el) => (el.textContent = text));
      }
      item.querySelectorAll('[data-job="link"]').forEach((el) => el.setAttribute("href", href));
      return item;
    }
    const title = document.createElement("a");
    title.className = "title";
    title.href = href;
    title.textContent = node.title;
    const detail = document.createElement("div");
    detail.textContent = [node.company.name, place, this.words.labels[node.category]]
      .filter(Boolean).join(" · ");
    item.append(title, detail);
    return item;
  }

  prefectureName(info) {
    if (!info) return null;
    return this.words === WORDS.ja ? info.nameJa : info.name;
  }

  showNotice(jobs) {
    this.notice.replaceChildren();
    if (jobs.broadened) {
      this.notice.textContent = this.words.broadened(jobs.broadened.droppedTerm, jobs.broadened.searchedFor);
    } else if (jobs.suggestion) {
      const again = document.createElement("button");
      again.type = "button";
      again.textContent = jobs.suggestion;
      again.addEventListener("click", () => {
        this.input.value = jobs.suggestion;
        this.query = jobs.suggestion;
        this.focusAfter = "input";
        this.search();
      });
      this.notice.append(this.words.suggestion + " ", again, "?");
    }
    this.notice.hidden = !this.notice.childNodes.length;
  }

  // The label a filter's value is shown with, in the widget's language.
  labelOf(name, value, facetValue) {
    if (name === "prefecture") {
      const info = facetValue && facetValue.prefecture;
      return this.prefectureName(info) || (this.prefectureLabels || {})[value] || value;
    }
    return this.words.labels[value] || value;
  }

  chosen(key, list, value) {
    return list ? (this.filter[key] || []).includes(value) : this.filter[key] === value;
  }

  toggle(key, list, value) {
    if (list) {
      const values = this.filter[key] || [];
      this.filter[key] = values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
      if (!this.filter[key].length) delete this.filter[key];
    } else if (this.filter[key] === value) {
      delete this.filter[key];
    } else {
      this.filter[key] = value;
    }
    this.search();
  }

  // The active filters as chips, each removed by its button, and "clear all": they stay
  // when a search finds nothing, so the visitor can widen it.
  showChips() {
    const chips = [];
    for (const [name, key, list] of FACETS) {
      const values = list ? this.filter[key] || [] : this.filter[key] ? [this.filter[key]] : [];
      for (const value of values) {
        const label = this.labelOf(name, value);
        const chip = document.createElement("button");
        chip.type = "button";
        chip.dataset.chip = `${key}:${value}`;
        chip.textContent = `${label} ×`;
        chip.setAttribute("aria-label", this.words.remove(label));
        chip.addEventListener("click", () => {
          const next = chip.nextElementSibling;
          this.focusAfter = next && next.dataset.chip ? `[data-chip="${CSS.escape(next.dataset.chip)}"]` : "input";
          this.toggle(key, list, value);
        });
        chips.push(chip);
      }
    }
    if (chips.length) {
      const clear = document.createElement("button");
      clear.type = "button";
      clear.className = "clear";
      clear.textContent = this.words.clear;
      clear.addEventListener("click", () => {
        this.filter = {};
        this.focusAfter = "input";
        this.search();
      });
      chips.push(clear);
    }
    this.chips.replaceChildren(...chips);
    this.chips.hidden = !chips.length;
  }

  showFacets(facets) {
    const buttons = [];
    this.prefectureLabels = this.prefectureLabels || {};
    for (const [name, key, list] of FACETS) {
      for (const facetValue of facets[name].slice(0, 8)) {
        const { value, count } = facetValue;
        const label = this.labelOf(name, value, facetValue);
        if (name === "prefecture") this.prefectureLabels[value] = label;
        const chosen = this.chosen(key, list, value);
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.facet = `${key}:${value}`;
        button.setAttribute("aria-pressed", String(chosen));
        button.setAttribute("aria-label", `${this.words[name]}: ${label} (${count})`);
        button.textContent = `${label} (${count})`;
        button.addEventListener("click", () => {
          this.focusAfter = `[data-facet="${CSS.escape(button.dataset.facet)}"]`;
          this.toggle(key, list, value);
        });
        buttons.push(button);
      }
    }
    this.facets.setAttribute("aria-label", FACETS.map(([name]) => this.words[name]).join(" / "));
    this.facets.replaceChildren(...buttons);
    this.showChips();  // the prefecture labels are known now
  }

  // Focus stays where the visitor acted: on the facet they pressed, the next chip, the
  // search field, or the first of the results "more" added.
  restoreFocus(items) {
    const target = this.focusAfter;
    this.focusAfter = null;
    if (!target) return;
    let element = null;
    if (target === "first-new") element = items[0] && (items[0].querySelector("a") || items[0]);
    else if (target === "input") element = this.input;
    else element = this.shadowRoot.querySelector(target) || this.input;
    if (element) element.focus();
  }
}

if (!customElements.get("jobgraph-search")) customElements.define("jobgraph-search", JobgraphSearch);
