// The netpolcheck report page: it builds itself from the results embedded in
// the page. It mirrors the Go reports (grid order, glyphs, skip reasons) so
// that the terminal, JUnit and this page tell the same story.
(function () {
  "use strict";

  const results = JSON.parse(document.getElementById("results").textContent) || {};
  const scenarios = results.scenarios || [];
  const simulate = results.mode === "simulate";
  const STATUSES = ["pass", "fail", "error", "skipped"];
  const STATUS_WORDS = { pass: "passed", fail: "failed", error: "errored", skipped: "skipped" };
  const OUTCOME_GLYPHS = { allowed: ".", blocked: "X", error: "E", skipped: "S", undefined: "U" };
  const VERDICT_GLYPHS = { pass: ".", fail: "X", error: "E", skipped: "S", ignored: "-", undefined: "U" };
  const filter = { statuses: new Set(STATUSES), tag: "" };
  const scenarioNodes = [];

  // add appends children to node: nested lists are flattened, absent values
  // dropped, and anything that is not a node becomes a text node, never
  // markup, so nothing from the results can inject HTML.
  function add(node, ...children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // el creates an element with attributes and children (see add).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    return add(node, ...children);
  }

  // An unknown status counts as errored, as in the Go reports.
  function knownStatus(status) { return STATUSES.includes(status) ? status : "error"; }
  function secs(s) { return (Number(s) || 0).toFixed(2) + "s"; }
  function plural(n, one, many) { return n === 1 ? "1 " + one : n + " " + many; }
  function compareStrings(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function badge(status) { return el("span", { class: "badge s-" + knownStatus(status) }, status || "?"); }
  function portKey(c) { return c.port + "/" + (c.protocol || "TCP"); }
  function outcomeGlyph(o) { return OUTCOME_GLYPHS[o] || "?"; }
  function outcomeClass(o) { return OUTCOME_GLYPHS[o] ? "g-" + o : "g-missing"; }
  function verdictGlyph(v) { return VERDICT_GLYPHS[v] || "?"; }
  function verdictClass(v) { return VERDICT_GLYPHS[v] ? "v-" + v : "v-missing"; }
  function problemLabel(status) { return status === "skipped" ? "skipped: " : "error: "; }

  function tally(list) {
    const t = { pass: 0, fail: 0, error: 0, skipped: 0 };
    for (const item of list) t[knownStatus(item.status)]++;
    return t;
  }

  function factList(facts) {
    const shown = facts.filter((f) => f[1]);
    if (!shown.length) return null;
    return el("dl", { class: "facts" }, shown.map(([k, v]) => [el("dt", null, k), el("dd", null, v)]));
  }

  function renderSummary() {
    const steps = scenarios.flatMap((s) => s.steps || []);
    const started = results.started && !String(results.started).startsWith("0001-") ? results.started : "";
    const counts = (what, t) => el("p", { class: "counts", id: "counts-" + what }, what + ": ",
      STATUSES.map((s, i) => [i ? ", " : "", el("span", { class: "count s-" + s }, t[s] + " " + STATUS_WORDS[s])]));
    add(document.getElementById("summary"),
      el("h1", null, "netpolcheck report"),
      factList([["mode", results.mode], ["cluster", results.cluster], ["enforcer", results.enforcer], ["target", results.target],
        ["version", results.version], ["started", started], ["duration", secs(results.durationSeconds)]]),
      counts("scenarios", tally(scenarios)),
      counts("steps", tally(steps)),
      comparisonSection(results.comparison),
      featureTable(results.features),
      dimensionTable(results.dimensions),
      behaviourTable(results.behaviour),
      timingSection(results.timing),
      el("p", { class: "legend" }, simulate
        ? "Matrices: . allowed, X blocked, U undefined, ? no cell; red: the hand-written expectation disagrees. Click a cell for its explanation."
        : "Matrices: . allowed, X blocked, U undefined, E error, S skipped, ? no cell; comparison: . match, X mismatch (red). Click a cell for its explanation."));
  }

  // comparisonSection sets this run (b) beside another (a), showing only
  // what differs; the Go reports compute the comparison.
  function comparisonSection(c) {
    if (!c) return null;
    const side = (s) => [s.cluster && "cluster " + s.cluster, s.enforcer && "enforcer " + s.enforcer, s.target && "target " + s.target,
      s.version && "version " + s.version].filter(Boolean).join(", ");
    const status = (s) => s ? badge(s) : el("span", { class: "badge s-none" }, "not run");
    const statusRows = (title, diffs) => diffs && diffs.length ? el("table", { class: "features" },
      el("caption", null, title + " whose status differs"),
      el("thead", null, el("tr", null, ["name", c.a.label, c.b.label].map((h) => el("th", null, h)))),
      el("tbody", null, diffs.map((d) => el("tr", null, el("td", null, d.name), el("td", null, status(d.a)), el("td", null, status(d.b)))))) : null;
    const seen = (s) => (s.observed || "-") + (s.blocked ? " (" + s.blocked + ")" : "") + ", " + s.verdict;
    const cells = c.cells || [];
    const asides = [c.loopbackDiffering && c.loopbackDiffering + " loopback cells observed differently (ignored, as upstream does)",
      c.stepsWithoutCells && c.stepsWithoutCells + " steps kept no cells in one run (--cells; not compared)",
      c.skippedInOne && c.skippedInOne + " cells skipped by one run only (not compared)",
      c.otherTarget && c.otherTarget + " cells dialled through a target the other run did not use (not compared)"].filter(Boolean).join("; ");
    return el("section", { id: "comparison" },
      el("h2", null, "Compared with " + c.a.label),
      el("dl", { class: "facts" }, [c.a, c.b].map((s) => [el("dt", null, s.label), el("dd", null, side(s))])),
      el("p", { class: "counts" }, c.cellsCompared + " cells compared, " + c.cellsSame + " alike, " + cells.length + " differ" + (asides ? "; " + asides : "")),
      statusRows("Scenarios", (c.scenarios || []).map((s) => ({ name: s.name, a: s.a, b: s.b }))),
      cells.length ? el("table", { class: "features", id: "comparison-cells" },
        el("caption", null, "Cells that differ"),
        el("thead", null, el("tr", null, ["scenario / step", "cell", "expected", c.a.label, c.b.label].map((h) => el("th", null, h)))),
        el("tbody", null, cells.map((d) => el("tr", null, el("td", null, d.scenario + " / " + d.step),
          el("td", null, d.from + " -> " + d.to + " " + d.port + "/" + d.protocol + (d.target ? " via " + d.target : "")), el("td", null, d.expected || "-"),
          el("td", null, seen(d.a)), el("td", null, seen(d.b)))))) : null,
      statusRows("Features", c.features),
      statusRows("Dimension values", c.dimensions),
      (c.behaviour || []).length ? el("table", { class: "features", id: "comparison-behaviour" },
        el("caption", null, "Behaviour that differs"),
        el("thead", null, el("tr", null, ["behaviour", c.a.label, c.b.label].map((h) => el("th", null, h)))),
        el("tbody", null, c.behaviour.map((d) => el("tr", null, el("td", null, d.name + (d.measured ? " (measured)" : "")),
          el("td", null, d.a || "not observed"), el("td", null, d.b || "not observed"))))) : null,
      (c.scenarios || []).length || cells.length || (c.features || []).length || (c.dimensions || []).length || (c.behaviour || []).some((d) => !d.measured) ? null
        : el("p", null, "The runs agree on every scenario, cell, feature and dimension value compared."));
  }

  // behaviourTable lists what the run observed of the behaviours the API
  // leaves to each implementation; the Go reports compute it.
  function behaviourTable(obs) {
    if (!obs || !obs.length) return null;
    return el("table", { class: "features", id: "behaviour" },
      el("caption", null, "Behaviour left to each implementation: observed, not judged"),
      el("thead", null, el("tr", null, ["behaviour", "observed", "from"].map((h) => el("th", null, h)))),
      el("tbody", null, obs.map((o) => el("tr", null, el("td", null, o.name), el("td", null, o.value), el("td", null, o.detail)))));
  }

  // timingSection says where a run's time went, summed over scenarios, and
  // names its slowest steps; the Go reports compute the sums.
  function timingSection(t) {
    if (!t) return null;
    const probeSum = (p) => (p.rounds || []).reduce((s, r) => s + (Number(r.seconds) || 0), 0);
    return el("section", { id: "timing" },
      el("h2", null, "Where the time went"),
      factList([["setup", secs(t.setupSeconds)], ["apply", secs(t.applySeconds)], ["enforcer sync", secs(t.syncSeconds)],
        ["checks", secs(t.checkSeconds)],
        ["probing", secs(t.probeSeconds) + " in " + plural(t.rounds, "round", "rounds") + " (" + t.probes + " probes, " + t.timedOut + " waited out their timeout)"],
        ["probe timeout", !t.longestTimeoutSeconds ? "not recorded" : t.shortestTimeoutSeconds === t.longestTimeoutSeconds ?
          secs(t.longestTimeoutSeconds) : secs(t.shortestTimeoutSeconds) + " to " + secs(t.longestTimeoutSeconds) + ", chosen from the answers seen"],
        ["between rounds", secs(t.backoffSeconds)], ["teardown", secs(t.teardownSeconds)]]),
      el("p", { class: "meta" }, "Summed over scenarios, which run in parallel. Slowest steps:"),
      el("ul", { class: "slowest" }, (t.slowest || []).map((s) => el("li", null,
        s.scenario + "/" + s.step + ": " + secs(s.seconds) + " (apply " + secs(s.phases.applySeconds) + ", probing " +
        secs(probeSum(s.phases)) + " in " + plural((s.phases.rounds || []).length, "round", "rounds") + ")"))));
  }

  // featureTable shows which NetworkPolicy features the cluster enforced in
  // every step exercising them; the Go reports compute the table.
  function featureTable(features) {
    if (!features || !features.length) return null;
    const words = (t) => ["passed", "failed", "errored", "skipped"]
      .filter((k) => t && t[k]).map((k) => t[k] + " " + k).join(", ");
    return el("table", { class: "features", id: "features" },
      el("caption", null, "Features: a feature passes when every step exercising it passes"),
      el("thead", null, el("tr", null, ["feature", "status", "steps", "not passed"].map((h) => el("th", null, h)))),
      el("tbody", null, features.map((f) => el("tr", { title: f.description || "" },
        el("td", null, f.name),
        el("td", null, f.status === "not covered" ? el("span", { class: "badge s-none" }, "not covered") : badge(f.status)),
        el("td", null, words(f.steps) || "no selected step exercises it"),
        el("td", null, (f.failed || []).join(", "), skipNote(f.skipReasons))))));
  }

  // skipNote says why a feature or dimension value was skipped.
  function skipNote(reasons) {
    return reasons && reasons.length ? el("span", { class: "skip-reason" }, "skipped: " + reasons.join("; ")) : null;
  }

  // dimensionTable groups generated cases by their dimension tags: which
  // values (direction=egress, port=named, ...) pass on this cluster, and the
  // values every failing case shares. Clicking a value filters by its tag.
  function dimensionTable(table) {
    if (!table || !table.dimensions || !table.dimensions.length) return null;
    const words = (t) => ["passed", "failed", "errored", "skipped"]
      .filter((k) => t && t[k]).map((k) => t[k] + " " + k).join(", ");
    const rows = table.dimensions.flatMap((d) => (d.values || []).map((v, i) => el("tr", null,
      // The first row's name cell spans the dimension's rows.
      i ? null : el("td", { rowspan: d.values.length }, d.name),
      el("td", null, el("a", { href: "#", class: "tag-filter", "data-tag": d.name + "=" + v.value }, v.value)),
      el("td", null, badge(v.status)),
      el("td", null, words(v.cases)),
      el("td", null, (v.failed || []).slice(0, 10).join(", ") + ((v.failed || []).length > 10 ? " and " + (v.failed.length - 10) + " more" : ""),
        skipNote(v.skipReasons)))));
    const suspects = table.widespread
      ? el("p", { class: "suspects" }, "Failures are widespread (over half the cases), so no value stands out.")
      : (table.suspects || []).length
        ? el("div", { class: "suspects", id: "suspects" }, el("p", null, "Failing together (every case with these values failed):"),
          el("ul", null, table.suspects.map((s) => el("li", null, s.values.join(" + ") + ": all " + plural(s.cases, "case", "cases") + " failed ",
            el("a", { href: "#", class: "tag-filter", "data-tag": s.values.join("+") }, el("code", null, "--tags " + s.values.join("+")))))))
        : null;
    return el("section", { id: "dimensions" },
      el("table", { class: "features dimensions" },
        el("caption", null, "Dimensions: a value passes when every case having it passes"),
        el("thead", null, el("tr", null, ["dimension", "value", "status", "cases", "not passed"].map((h) => el("th", null, h)))),
        el("tbody", null, rows)),
      suspects);
  }

  function renderFilters() {
    const boxes = STATUSES.map((s) => {
      const box = el("input", { type: "checkbox", checked: true, "data-status": s });
      box.addEventListener("change", () => {
        if (box.checked) filter.statuses.add(s); else filter.statuses.delete(s);
        applyFilters();
      });
      return el("label", { class: "s-" + s }, box, " " + STATUS_WORDS[s]);
    });
    const tags = [...new Set(scenarios.flatMap((s) => s.tags || []))].sort(compareStrings);
    const select = el("select", { id: "tag-filter" }, el("option", { value: "" }, "all tags"),
      tags.map((t) => el("option", { value: t }, t)));
    select.addEventListener("change", () => { filter.tag = select.value; applyFilters(); });
    add(document.getElementById("filters"), "status: ", boxes, el("label", null, "tag: ", select),
      el("span", { id: "shown" }));
  }

  function applyFilters() {
    let shown = 0;
    scenarioNodes.forEach((node, i) => {
      const sc = scenarios[i];
      // A tag filter "a+b", as --tags takes it, wants every one of its tags.
      const visible = filter.statuses.has(knownStatus(sc.status)) &&
        (!filter.tag || filter.tag.split("+").every((t) => (sc.tags || []).includes(t)));
      node.hidden = !visible;
      if (visible) shown++;
    });
    document.getElementById("shown").textContent = shown + " of " + scenarios.length + " scenarios shown";
  }

  function renderScenarios() {
    const main = document.getElementById("scenarios");
    if (!scenarios.length) main.append(el("p", null, "No scenarios."));
    scenarios.forEach((sc, i) => {
      const node = el("details", { class: "scenario s-" + knownStatus(sc.status), id: "scenario-" + i },
        el("summary", null, badge(sc.status), " ", el("span", { class: "name" }, sc.name), " ",
          el("span", { class: "meta" }, plural((sc.steps || []).length, "step", "steps") + ", " + secs(sc.durationSeconds)),
          (sc.tags || []).map((t) => el("span", { class: "tag" }, t))));
      // Bodies are built on first opening: a large run has thousands of cells.
      node.addEventListener("toggle", () => { if (node.open) renderBody(node, sc); });
      scenarioNodes.push(node);
      main.append(node);
    });
  }

  function renderBody(node, sc) {
    if (node.dataset.rendered) return;
    node.dataset.rendered = "true";
    const body = el("div", { class: "scenario-body" });
    if (sc.description) body.append(el("p", { class: "description" }, sc.description));
    const facts = factList([["source", sc.source], ["seed", sc.seed], ["file", sc.file], ["tags", (sc.tags || []).join(", ")]]);
    if (facts) body.append(facts);
    if (sc.error) body.append(el("pre", { class: "problem" }, problemLabel(sc.status) + sc.error));
    const steps = sc.steps || [];
    steps.forEach((st, i) => body.append(renderStep(st, i + 1, steps.length)));
    node.append(body);
  }

  function hasProblemCells(st) {
    return (st.cells || []).some((c) => c.verdict === "fail" || c.verdict === "error");
  }

  function renderStep(st, n, total) {
    const section = el("section", { class: "step s-" + knownStatus(st.status) });
    let converge = null;
    if (!simulate && (st.convergeSeconds || st.retries || hasProblemCells(st))) {
      converge = el("span", { class: "meta" }, " converge " + secs(st.convergeSeconds) + ", " +
        plural(st.retries || 0, "retry", "retries"));
    }
    section.append(el("h3", null, badge(st.status), " step " + n + "/" + total + ": ", st.name, converge));
    if (st.undefinedCells) {
      section.append(el("p", { class: "meta" }, st.undefinedCells + " cells undefined (U): ClusterNetworkPolicies of one tier and " +
        "priority decide them differently, and the API leaves their order open; not counted as pass or fail"));
    }
    if (st.blocks) {
      section.append(el("p", { class: "meta" }, "blocked cells: " + (st.blocks.dropped || 0) + " dropped (no answer), " +
        (st.blocks.refused || 0) + " refused (reset or unreachable)"));
    }
    if (st.error) section.append(el("pre", { class: "problem" }, problemLabel(st.status) + st.error));
    const reasons = skipReasons(st);
    if (reasons.length) section.append(el("ul", { class: "skipped" }, reasons.map((r) => el("li", null, "skipped: " + r))));
    if ((st.handWrittenMismatches || []).length) section.append(handWrittenTable(st.handWrittenMismatches));
    if (st.cellsOmitted) {
      section.append(el("p", { class: "meta" }, "all " + (st.cellCount || 0) +
        " cells matched; their grids were left out of this large run (netpolcheck run --cells all keeps them)"));
    }
    const matrices = renderMatrices(st);
    if (matrices) section.append(matrices);
    const detail = el("div", { class: "cell-detail", hidden: true });
    section.append(detail);
    section.addEventListener("click", (ev) => {
      const td = ev.target.closest("td[data-cell]");
      if (td && section.contains(td)) showCell(section, detail, td.dataset.cell, st.cells[Number(td.dataset.cell)]);
    });
    if ((st.policies || []).length) {
      section.append(el("details", { class: "policies" },
        el("summary", null, plural(st.policies.length, "policy", "policies") + " in force"),
        st.policies.map((p) => el("pre", null, p))));
    }
    return section;
  }

  // skipReasons mirrors the Go reports: the step's own reasons, then the
  // details of skipped cells it does not mention, sorted.
  function skipReasons(st) {
    const seen = new Set();
    const reasons = [];
    for (const r of st.skipped || []) if (r && !seen.has(r)) { seen.add(r); reasons.push(r); }
    const extra = [];
    for (const c of st.cells || []) {
      const skipped = c.verdict === "skipped" || c.observed === "skipped";
      if (skipped && c.detail && !seen.has(c.detail)) { seen.add(c.detail); extra.push(c.detail); }
    }
    return reasons.concat(extra.sort(compareStrings));
  }

  function handWrittenTable(list) {
    return el("table", { class: "hand-written" },
      el("caption", null, "hand-written expectations the oracle contradicts"),
      el("tr", null, ["from", "to", "port", "hand-written", "oracle", "explanation"].map((h) => el("th", null, h))),
      list.map((h) => el("tr", null, [h.from, h.to, h.port, h.handWritten, h.oracle, h.explanation].map((v) => el("td", null, v || "")))));
  }

  // ordered returns the members of set: those in order first, in that order,
  // then the rest sorted, as the Go grids do.
  function ordered(order, set, compare) {
    const seen = new Set();
    const out = [];
    for (const k of order || []) if (set.has(k) && !seen.has(k)) { seen.add(k); out.push(k); }
    return out.concat([...set].filter((k) => !seen.has(k)).sort(compare));
  }

  function splitPort(key) {
    const i = key.indexOf("/");
    const n = /^-?\d+$/.test(key.slice(0, i)) ? Number(key.slice(0, i)) : -1;
    return [n, key.slice(i + 1)];
  }

  function comparePorts(a, b) {
    const [an, ap] = splitPort(a);
    const [bn, bp] = splitPort(b);
    return (an - bn) || compareStrings(ap, bp) || compareStrings(a, b);
  }

  // One grid per port, and per target within a port: by pod IP, then
  // through Services, as the Go reports lay them out.
  function stepGrids(st) {
    const cells = st.cells || [];
    const byPort = new Map();
    cells.forEach((c, i) => {
      const key = portKey(c);
      if (!byPort.has(key)) byPort.set(key, new Map());
      const byTarget = byPort.get(key);
      const target = c.target || "";
      if (!byTarget.has(target)) byTarget.set(target, []);
      byTarget.get(target).push(i);
    });
    const grids = [];
    for (const port of ordered(st.ports, new Set(byPort.keys()), comparePorts)) {
      const byTarget = byPort.get(port);
      for (const target of ordered(["", "service"], new Set(byTarget.keys()), compareStrings)) {
        const index = new Map();
        const froms = new Set();
        const tos = new Set();
        for (const i of byTarget.get(target)) {
          const c = cells[i];
          const pair = c.from + "\u0000" + c.to;
          if (!index.has(pair)) index.set(pair, i);
          froms.add(c.from);
          tos.add(c.to);
        }
        grids.push({ port: target ? port + " via " + target : port, index,
          froms: ordered(st.endpoints, froms, compareStrings), tos: ordered(st.endpoints, tos, compareStrings) });
      }
    }
    return grids;
  }

  function renderMatrices(st) {
    const grids = stepGrids(st);
    if (!grids.length) return null;
    const contradicted = new Set((st.handWrittenMismatches || []).map((h) => [h.from, h.to, h.port].join("\u0000")));
    const wrap = el("div", { class: "matrices" });
    for (const g of grids) {
      const port = el("div", { class: "port" }, el("h4", null, g.port));
      if (simulate) {
        port.append(matrix(st, g, "verdicts", (c) => ({
          glyph: outcomeGlyph(c.expected),
          cls: outcomeClass(c.expected) + (contradicted.has([c.from, c.to, g.port].join("\u0000")) ? " mismatch" : ""),
        })));
      } else {
        const mismatch = (c) => (c.verdict === "fail" ? " mismatch" : "");
        port.append(
          matrix(st, g, "expected", (c) => ({ glyph: outcomeGlyph(c.expected), cls: outcomeClass(c.expected) })),
          matrix(st, g, "observed", (c) => ({ glyph: outcomeGlyph(c.observed), cls: outcomeClass(c.observed) + mismatch(c) })),
          matrix(st, g, "comparison", (c) => ({ glyph: verdictGlyph(c.verdict), cls: verdictClass(c.verdict) + mismatch(c) })));
      }
      wrap.append(port);
    }
    return wrap;
  }

  function cellName(c) {
    return c.from + " -> " + c.to + " " + portKey(c) + (c.portName ? " (" + c.portName + ")" : "") +
      (c.target ? " via " + c.target : "") + (c.loopback ? " [loopback]" : "");
  }

  function cellOutcome(c) {
    if (simulate) return c.expected || "unknown";
    return "expected " + (c.expected || "unknown") + ", observed " + (c.observed || "unknown");
  }

  function matrix(st, g, title, look) {
    const head = el("tr", null, el("th", { class: "corner" }, "-"), g.tos.map((to) => el("th", { scope: "col" }, to)));
    const rows = g.froms.map((from) => el("tr", null, el("th", { scope: "row" }, from), g.tos.map((to) => {
      const i = g.index.get(from + "\u0000" + to);
      if (i === undefined) return el("td", { class: "g-missing", title: from + " -> " + to + ": no cell" }, "?");
      const c = st.cells[i];
      const shown = look(c);
      return el("td", { class: shown.cls, "data-cell": i, title: cellName(c) + ": " + cellOutcome(c) }, shown.glyph);
    })));
    return el("figure", { class: "matrix-figure" }, el("figcaption", null, title),
      el("table", { class: "matrix matrix-" + title }, el("thead", null, head), el("tbody", null, rows)));
  }

  function showCell(section, detail, index, c) {
    for (const td of section.querySelectorAll("td.selected")) td.classList.remove("selected");
    for (const td of section.querySelectorAll('td[data-cell="' + index + '"]')) td.classList.add("selected");
    const facts = simulate
      ? [["expected", c.expected]]
      : [["expected", c.expected], ["observed", c.observed + (c.blocked ? " (" + c.blocked + ")" : "") + (c.notByEnforcer ? ", but not by the enforcer" : "")], ["verdict", c.verdict]];
    if (c.loopback) facts.push(["loopback", "yes (a pod to itself)"]);
    const rows = facts.filter((f) => f[1]).map(([k, v]) => [el("dt", null, k), el("dd", null, v)]);
    const block = (label, text) => (text ? [el("dt", null, label), el("dd", null, el("pre", null, text))] : null);
    detail.replaceChildren(
      el("h4", null, cellName(c)),
      el("dl", null, rows,
        block("explanation", c.explanation || "none recorded"),
        block("detail", c.detail),
        (c.drops || []).length ? [el("dt", null, "drops"), el("dd", null, el("pre", null, c.drops.join("\n")))] : null,
        block("reproduce", c.reproduce)));
    detail.hidden = false;
  }

  renderSummary();
  renderFilters();
  renderScenarios();
  applyFilters();
  // showTag filters the scenarios by a tag, or by "a+b" as --tags takes it,
  // and puts it in the address, so that the filtered view can be shared.
  function showTag(tag) {
    filter.tag = tag;
    const select = document.getElementById("tag-filter");
    if (tag && ![...select.options].some((o) => o.value === tag)) select.append(el("option", { value: tag }, tag));
    select.value = tag;
    applyFilters();
    history.replaceState(null, "", tag ? "#tag=" + encodeURIComponent(tag) : location.pathname);
  }
  // A dimension value or a failing-together line shows the cases carrying its tags.
  document.getElementById("summary").addEventListener("click", (event) => {
    const link = event.target.closest("a.tag-filter");
    if (!link) return;
    event.preventDefault();
    showTag(link.dataset.tag);
    document.getElementById("filters").scrollIntoView();
  });
  if (location.hash.startsWith("#tag=")) showTag(decodeURIComponent(location.hash.slice(5)));
  // Open the first failing (else errored) scenario, so the page shows a problem at once.
  const first = scenarios.findIndex((s) => s.status === "fail");
  const open = first >= 0 ? first : scenarios.findIndex((s) => knownStatus(s.status) === "error");
  if (open >= 0) {
    renderBody(scenarioNodes[open], scenarios[open]);
    scenarioNodes[open].open = true;
  }
})();
