// Small SVG charts (no chart library): horizontal bars, a column trend, the latency waterfall.
import { svgEl } from "/assets/common.js";

const ROW = 22;

/** Horizontal bars, one per {label, value}; `unit` is appended to each value. */
export function barChart(rows, { unit = "", title = "" } = {}) {
  const width = 360;
  const labelWidth = 110;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const svg = svgEl("svg", { class: "chart", viewBox: `0 0 ${width} ${Math.max(1, rows.length) * ROW + 4}`, role: "img", "aria-label": title });
  if (!rows.length) svg.append(svgEl("text", { x: 0, y: 16 }, "No data yet"));
  rows.forEach((row, i) => {
    const y = i * ROW + 2;
    const w = ((width - labelWidth - 60) * row.value) / max;
    svg.append(
      svgEl("text", { x: 0, y: y + 14 }, row.label),
      svgEl("rect", { class: `bar${row.alt ? " alt" : ""}`, x: labelWidth, y: y + 3, width: Math.max(w, 1), height: ROW - 8, rx: 3 },
        svgEl("title", {}, `${row.label}: ${row.value}${unit}`)),
      svgEl("text", { x: labelWidth + w + 6, y: y + 14 }, `${row.value}${unit}`),
    );
  });
  return svg;
}

/** Columns over time: [{label, value}] left to right. */
export function columnChart(points, { title = "" } = {}) {
  const width = 360;
  const height = 120;
  const max = Math.max(1, ...points.map((p) => p.value));
  const step = width / Math.max(1, points.length);
  const svg = svgEl("svg", { class: "chart", viewBox: `0 0 ${width} ${height + 18}`, role: "img", "aria-label": title });
  svg.append(svgEl("line", { class: "axis", x1: 0, x2: width, y1: height, y2: height }));
  points.forEach((p, i) => {
    const h = (height - 10) * (p.value / max);
    svg.append(svgEl("rect", { class: "bar", x: i * step + 1, y: height - h, width: Math.max(step - 2, 1), height: h },
      svgEl("title", {}, `${p.label}: ${p.value}`)));
    if (i % Math.ceil(points.length / 6) === 0) svg.append(svgEl("text", { x: i * step, y: height + 14 }, p.label));
  });
  return svg;
}

const STAGES = [
  ["capture_ms", "capture"],
  ["stt_ms", "speech to text"],
  ["route_ms", "routing"],
  ["llm_first_token_ms", "model first token"],
  ["tools_ms", "tools"],
  ["tts_first_byte_ms", "speech first byte"],
];
const TOTALS = [["first_audio_ms", "first audio"], ["total_ms", "total"]];

/** The turn's latency waterfall: stages one after another, then first audio and total from 0. */
export function waterfallChart(waterfall) {
  const width = 420;
  const labelWidth = 130;
  const rows = [];
  let offset = 0;
  for (const [key, label] of STAGES) {
    if (waterfall[key] === null || waterfall[key] === undefined) continue;
    rows.push({ label, start: offset, value: waterfall[key] });
    offset += waterfall[key];
  }
  for (const [key, label] of TOTALS) {
    if (waterfall[key] !== null && waterfall[key] !== undefined) rows.push({ label, start: 0, value: waterfall[key], alt: true });
  }
  const span = Math.max(1, ...rows.map((r) => r.start + r.value));
  const scale = (width - labelWidth - 70) / span;
  const svg = svgEl("svg", { class: "chart", viewBox: `0 0 ${width} ${Math.max(1, rows.length) * ROW + 4}`, role: "img", "aria-label": "Latency waterfall" });
  if (!rows.length) svg.append(svgEl("text", { x: 0, y: 16 }, "No timings recorded"));
  rows.forEach((row, i) => {
    const y = i * ROW + 2;
    const x = labelWidth + row.start * scale;
    const w = Math.max(row.value * scale, 1);
    svg.append(
      svgEl("text", { x: 0, y: y + 14 }, row.label),
      svgEl("rect", { class: `bar${row.alt ? " alt" : ""}`, x, y: y + 3, width: w, height: ROW - 8, rx: 3 },
        svgEl("title", {}, `${row.label}: ${Math.round(row.value)} ms`)),
      svgEl("text", { x: x + w + 6, y: y + 14 }, `${Math.round(row.value)} ms`),
    );
  });
  return svg;
}
