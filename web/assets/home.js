// Landing page: the live health of every HTTP function (a 501 means "not built yet").
import { el, mountNav } from "/assets/common.js";

mountNav();

const HEALTH = {
  200: ["ok", "healthy"],
  501: ["warn", "not built yet"],
};

async function check(fn) {
  try {
    const response = await fetch(fn.healthz, { headers: { Accept: "application/json" } });
    const [kind, label] = HEALTH[response.status] || ["bad", `error ${response.status}`];
    return el("span", { class: `badge ${kind}` }, label);
  } catch {
    return el("span", { class: "badge bad" }, "unreachable");
  }
}

async function main() {
  const body = document.getElementById("health");
  const { functions } = await (await fetch("/docs/functions.json")).json();
  const http = functions.filter((fn) => fn.kind === "http");
  const cells = http.map(() => el("td", {}, "…"));
  body.replaceChildren(...http.map((fn, i) =>
    el("tr", {}, el("th", { scope: "row" }, fn.name), el("td", {}, el("code", {}, fn.paths[0])),
      el("td", {}, fn.summary), cells[i])));
  await Promise.all(http.map(async (fn, i) => cells[i].replaceChildren(await check(fn))));
  body.dataset.checked = "true";
}

main();
