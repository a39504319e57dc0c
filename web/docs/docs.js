// API reference rendered from every function's OpenAPI document (listed in functions.json,
// which scripts/build_web.py renders from the function manifest).
import { $, el, mountNav, showProblem } from "/assets/common.js";

mountNav();

function schemaOf(doc, schema) {
  if (!schema) return null;
  if (schema.$ref) return doc.components?.schemas?.[schema.$ref.split("/").pop()] || schema;
  return schema;
}

function fieldsTable(doc, schema) {
  const resolved = schemaOf(doc, schema);
  const props = resolved && resolved.properties;
  if (!props) return null;
  const required = new Set(resolved.required || []);
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, ["Field", "Type", "Required", "Notes"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, Object.entries(props).map(([name, prop]) => el("tr", {},
      el("th", { scope: "row" }, el("code", {}, name)),
      el("td", {}, typeName(prop)),
      el("td", {}, required.has(name) ? "yes" : ""),
      el("td", { class: "muted" }, prop.description || prop.title || ""))))));
}

function typeName(prop) {
  if (prop.type) return prop.type + (prop.format ? ` (${prop.format})` : "");
  if (prop.$ref) return prop.$ref.split("/").pop();
  const options = prop.anyOf || prop.oneOf;
  if (options) return options.map(typeName).join(" | ");
  if (prop.enum) return prop.enum.join(" | ");
  return "any";
}

function operation(doc, path, method, op) {
  const body = op.requestBody?.content?.["application/json"]?.schema
    || op.requestBody?.content?.["application/x-www-form-urlencoded"]?.schema;
  const params = (op.parameters || []).filter((p) => p.in === "query");
  const secured = op.security && op.security.length;
  return el("details", { class: "operation" },
    el("summary", {}, el("span", { class: "badge" }, method.toUpperCase()), " ", el("code", {}, path), " ",
      secured ? el("span", { class: "badge warn", title: "Needs a bearer token" }, "auth") : null, " ",
      el("span", { class: "muted" }, op.summary || "")),
    el("div", { class: "stack", style: "padding:.5rem 0 .5rem 1rem" },
      op.description ? el("p", {}, op.description) : null,
      params.length ? [el("h4", {}, "Query"), el("ul", {}, params.map((p) => el("li", {}, el("code", {}, p.name), p.required ? " (required)" : "")))] : null,
      body ? [el("h4", {}, "Body"), fieldsTable(doc, body) || el("p", { class: "muted" }, "JSON")] : null,
      el("h4", {}, "Responses"),
      el("ul", {}, Object.entries(op.responses || {}).map(([code, r]) => el("li", {}, el("code", {}, code), " ", r.description || "")))));
}

async function render(fn) {
  const section = el("section", { class: "card stack", id: fn.name, "aria-labelledby": `${fn.name}-title` },
    el("h3", { id: `${fn.name}-title` }, fn.name), el("p", { class: "muted" }, fn.summary),
    el("p", {}, "Paths: ", fn.paths.map((p) => el("code", {}, p, " "))));
  $("#apis").append(section);
  if (!fn.openapi) {
    section.append(el("p", {}, `Event function on ${fn.topics.join(", ") || "its own socket"}: no HTTP API.`));
    return;
  }
  try {
    const doc = await (await fetch(fn.openapi)).json();
    section.append(el("p", {}, doc.info?.description || ""),
      el("p", {}, el("a", { href: fn.openapi }, "OpenAPI document")),
      ...Object.entries(doc.paths || {}).flatMap(([path, ops]) =>
        Object.entries(ops).filter(([m]) => ["get", "post", "put", "patch", "delete"].includes(m)).map(([m, op]) => operation(doc, path, m, op))));
    section.dataset.loaded = "true";
  } catch (error) {
    showProblem($("#notice"), error);
  }
}

async function main() {
  const { functions } = await (await fetch("/docs/functions.json")).json();
  $("#toc").replaceChildren(...functions.map((fn) => el("li", {}, el("a", { href: `#${fn.name}` }, fn.name))));
  for (const fn of functions) await render(fn);
  $("#apis").dataset.ready = "true";
}

main();
