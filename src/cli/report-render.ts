import { duration, percent, type GroupFigures, type PrEffect, type Summary } from "../core/effectiveness.js";
import { table } from "./render.js";

/** What a report is about, for its header. */
export interface ReportMeta {
  readonly repo: string;
  readonly since: string;
  readonly until: string;
  /** Pull requests merged in the period (some may have needed no persona). */
  readonly merged: number;
}

const ms = (v: number | undefined) => (v === undefined ? "—" : duration(v));

export function renderText(meta: ReportMeta, s: Summary): string {
  const out = [
    `Parallel review effectiveness: ${meta.repo}, pull requests merged ${meta.since.slice(0, 10)} – ${meta.until.slice(0, 10)}`,
    `${meta.merged} merged, ${s.pulls} of them needed a persona, ${s.measured} with every persona's approval measured`,
    `Time saved by reviewing in parallel: ${s.timeSaved ? `${percent(s.timeSaved.overall)} overall (mean per pull request ${percent(s.timeSaved.mean)})` : "— (no pull request with two or more measured personas)"}`,
    `Disagreement rate: ${percent(s.disagreementRate)} · rework rate: ${percent(s.reworkRate)}${s.overlapRate !== undefined ? ` · same files as another open pull request: ${percent(s.overlapRate)}` : ""}`,
  ];
  for (const [title, rows] of [
    ["Per persona", s.personas],
    ["Per domain", s.domains],
  ] as const) {
    out.push("", title);
    if (rows.length === 0) out.push("  (none)");
    else out.push(...table(groupRows(rows)).map((l) => `  ${l}`));
  }
  return out.join("\n") + "\n";
}

function groupRows(rows: readonly GroupFigures[]): string[][] {
  return [
    ["ID", "PULLS", "MEDIAN", "P90", "DISAGREEMENT", "REWORK"],
    ...rows.map((g) => [
      g.id,
      String(g.pulls),
      ms(g.medianMs),
      ms(g.p90Ms),
      percent(g.disagreementRate),
      percent(g.reworkRate),
    ]),
  ];
}

export function renderJson(meta: ReportMeta, s: Summary, prs: readonly PrEffect[]): string {
  return JSON.stringify({ ...meta, summary: s, pulls: prs }, null, 2) + "\n";
}

/** One row per repository, persona and domain; times in seconds, rates from 0 to 1. */
export function renderCsv(meta: ReportMeta, s: Summary): string {
  const rows: (string | number)[][] = [
    ["kind", "id", "name", "pulls", "median_s", "p90_s", "time_saved", "disagreement_rate", "rework_rate"],
    ["repository", meta.repo, meta.repo, s.pulls, "", "", s.timeSaved?.overall ?? "", s.disagreementRate, s.reworkRate],
  ];
  for (const [kind, list] of [
    ["persona", s.personas],
    ["domain", s.domains],
  ] as const)
    for (const g of list)
      rows.push([
        kind,
        g.id,
        g.name,
        g.pulls,
        g.medianMs === undefined ? "" : Math.round(g.medianMs / 1000),
        g.p90Ms === undefined ? "" : Math.round(g.p90Ms / 1000),
        "",
        round(g.disagreementRate),
        round(g.reworkRate),
      ]);
  return rows.map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A self-contained page: figures, two inline SVG bar charts (median time to approve per persona; time
 * saved per pull request), and the tables. No script, no external resource.
 */
export function renderHtml(meta: ReportMeta, s: Summary, prs: readonly PrEffect[]): string {
  const personas = s.personas.filter((g) => g.medianMs !== undefined);
  const saved = prs.filter((p) => p.timeSaved !== undefined);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Parallel review effectiveness — ${esc(meta.repo)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1f2328; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #d0d7de; padding: .25rem .75rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.figures { display: flex; gap: 2rem; flex-wrap: wrap; }
.figure b { display: block; font-size: 1.6rem; }
svg text { font-size: 12px; fill: #1f2328; }
rect.bar { fill: #0969da; }
rect.bar.saved { fill: #1a7f37; }
</style>
</head>
<body>
<h1>Parallel review effectiveness</h1>
<p>${esc(meta.repo)}: ${meta.merged} pull requests merged ${esc(meta.since.slice(0, 10))} – ${esc(meta.until.slice(0, 10))}, ${s.pulls} of them needed a persona, ${s.measured} with every persona's approval measured.</p>
<div class="figures">
<div class="figure"><b id="time-saved">${s.timeSaved ? percent(s.timeSaved.overall) : "—"}</b>time saved (1 − longest / sum)</div>
<div class="figure"><b id="disagreement">${percent(s.disagreementRate)}</b>disagreement rate</div>
<div class="figure"><b id="rework">${percent(s.reworkRate)}</b>rework rate</div>
${s.overlapRate !== undefined ? `<div class="figure"><b id="overlap">${percent(s.overlapRate)}</b>same files as another open PR</div>` : ""}
</div>
<h2>Median time to approve per persona</h2>
${barChart(
  "persona-chart",
  personas.map((g) => ({ label: g.name, value: g.medianMs!, text: duration(g.medianMs!) })),
  "",
)}
<h2>Time saved per pull request</h2>
${barChart(
  "saved-chart",
  saved.map((p) => ({ label: `#${p.number}`, value: p.timeSaved!, text: percent(p.timeSaved!) })),
  "saved",
  1,
)}
<h2>Per persona</h2>
${htmlTable(s.personas)}
<h2>Per domain</h2>
${htmlTable(s.domains)}
</body>
</html>
`;
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
}

/** Horizontal bars, one `rect.bar` per item, scaled to the largest (or to `max`). */
function barChart(id: string, bars: readonly Bar[], cls: string, max?: number): string {
  const rowH = 24;
  const labelW = 160;
  const width = 640;
  const top = Math.max(max ?? 0, ...bars.map((b) => b.value), Number.MIN_VALUE);
  const height = Math.max(1, bars.length) * rowH + 8;
  const rows = bars.map((b, i) => {
    const w = Math.max(1, Math.round(((width - labelW - 80) * Math.max(0, b.value)) / top));
    const y = 4 + i * rowH;
    return `<text x="0" y="${y + 16}">${esc(b.label)}</text><rect class="bar${cls ? ` ${cls}` : ""}" x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 8}"><title>${esc(b.label)}: ${esc(b.text)}</title></rect><text x="${labelW + w + 6}" y="${y + 16}">${esc(b.text)}</text>`;
  });
  const empty = bars.length === 0 ? `<text x="0" y="18">no data</text>` : "";
  return `<svg id="${id}" role="img" aria-label="${id}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${rows.join("")}${empty}</svg>`;
}

function htmlTable(rows: readonly GroupFigures[]): string {
  const head = "<tr><th>ID</th><th>Pulls</th><th>Median</th><th>p90</th><th>Disagreement</th><th>Rework</th></tr>";
  const body = rows
    .map(
      (g) =>
        `<tr><td>${esc(g.name)}</td><td>${g.pulls}</td><td>${ms(g.medianMs)}</td><td>${ms(g.p90Ms)}</td><td>${percent(g.disagreementRate)}</td><td>${percent(g.reworkRate)}</td></tr>`,
    )
    .join("\n");
  return `<table>${head}\n${body}</table>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
